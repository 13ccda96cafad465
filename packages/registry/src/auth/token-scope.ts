// The `scope` parameters of a token request (Docker token specification): `repository:ci/app:pull,push`,
// `repository(plugin):name:pull`, `registry:catalog:*`. A repository name is validated before anything
// looks at it; a scope we cannot read is a 400 rather than a silently narrower token.
import { isValidRepositoryName } from '../oci/repository-name.js';

export interface RequestedScope {
  type: 'repository' | 'registry';
  name: string;
  actions: string[];
}

export class ScopeError extends Error {
  readonly code = 'SCOPE_INVALID';
}

/** Reads one scope; POST requests may put several in one parameter, separated by spaces. */
export function parseScopes(values: readonly string[]): RequestedScope[] {
  const scopes: RequestedScope[] = [];
  for (const value of values.flatMap((v) => v.split(' ')).filter((v) => v !== '')) {
    const first = value.indexOf(':');
    const last = value.lastIndexOf(':');
    if (first <= 0 || last === first) throw new ScopeError(`malformed scope ${JSON.stringify(value.slice(0, 100))}`);
    const type = value.slice(0, first).replace(/\([a-z0-9]+\)$/, '');
    const name = value.slice(first + 1, last);
    const actions = value.slice(last + 1).split(',').filter((a) => a !== '');
    if (type === 'repository') {
      if (!isValidRepositoryName(name)) throw new ScopeError(`invalid repository name in scope ${JSON.stringify(value.slice(0, 100))}`);
      scopes.push({ type, name, actions });
    } else if (type === 'registry') {
      scopes.push({ type, name, actions });
    } else {
      throw new ScopeError(`unsupported resource type in scope ${JSON.stringify(value.slice(0, 100))}`);
    }
  }
  return scopes;
}
