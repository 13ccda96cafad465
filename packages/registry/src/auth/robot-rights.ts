// A robot token's rights in one repository: the union of its scopes whose glob matches.
import { NO_RIGHTS, unionRights, type Rights } from './access-rights.js';
import type { ScopeGrant } from './principal.js';
import { repositoryMatcher } from './repository-matcher.js';

const matchers = new Map<string, (name: string) => boolean>();

function matcherOf(glob: string): (name: string) => boolean {
  let match = matchers.get(glob);
  if (match === undefined) {
    match = repositoryMatcher(glob);
    if (matchers.size > 10_000) matchers.clear();
    matchers.set(glob, match);
  }
  return match;
}

export function robotRights(grants: readonly ScopeGrant[], name: string): Rights {
  const matching = grants.filter((grant) => matcherOf(grant.repository)(name)).map((grant) => grant.rights);
  if (matching.length === 0) return NO_RIGHTS;
  return matching.length === 1 ? (matching[0] as Rights) : unionRights(matching);
}
