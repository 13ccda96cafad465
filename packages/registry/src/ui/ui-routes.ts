// The UI's URL space, below <http.prefix>/ui: parsed in one place and built in one place. A repository name
// may hold slashes, so a reference follows the marker segment "-" (a name component can never be "-").
import { checkRepositoryName } from '../oci/repository-name.js';

export type UiRoute =
  | { kind: 'repositories' }
  | { kind: 'repository'; name: string }
  | { kind: 'image'; name: string; reference: string }
  | { kind: 'delete'; name: string; reference: string }
  | { kind: 'login' }
  | { kind: 'logout' }
  | { kind: 'status' }
  | { kind: 'asset'; file: string };

/** A tag (distribution's grammar) or a digest (algorithm:hex). Checked again by the services. */
const REFERENCE = /^(?:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Za-z0-9=_-]{32,})$/;
const ASSET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/;

/** The route for `path` (relative to <prefix>/ui, starting with "/"); undefined when nothing is there. Throws RegistryError for a bad name. */
export function parseUiRoute(path: string): UiRoute | undefined {
  if (path === '/' || path === '') return { kind: 'repositories' };
  if (path === '/login') return { kind: 'login' };
  if (path === '/logout') return { kind: 'logout' };
  if (path === '/status') return { kind: 'status' };
  if (path.startsWith('/assets/')) {
    const file = path.slice('/assets/'.length);
    return ASSET.test(file) ? { kind: 'asset', file } : undefined;
  }
  if (!path.startsWith('/r/')) return undefined;
  const segments = path.slice(3).split('/').map(decodeSegment);
  if (segments.some((s) => s === undefined)) return undefined;
  const parts = segments as string[];
  const marker = parts.indexOf('-');
  if (marker === -1) return { kind: 'repository', name: checkRepositoryName(parts.join('/')) };
  const name = checkRepositoryName(parts.slice(0, marker).join('/'));
  const rest = parts.slice(marker + 1);
  const reference = rest[0];
  if (reference === undefined || !REFERENCE.test(reference)) return undefined;
  if (rest.length === 1) return { kind: 'image', name, reference };
  if (rest.length === 2 && rest[1] === 'delete') return { kind: 'delete', name, reference };
  return undefined;
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Builds UI links below `base` (<prefix>/ui). Names and references are URL-safe by their grammar but encoded anyway. */
export class UiPaths {
  constructor(readonly base: string) {}

  repositories(query?: Record<string, string | undefined>): string {
    return withQuery(`${this.base}/`, query);
  }

  repository(name: string, query?: Record<string, string | undefined>): string {
    return withQuery(`${this.base}/r/${encodeName(name)}`, query);
  }

  image(name: string, reference: string): string {
    return `${this.base}/r/${encodeName(name)}/-/${encodeURIComponent(reference)}`;
  }

  delete(name: string, reference: string): string {
    return `${this.image(name, reference)}/delete`;
  }

  login(next?: string): string {
    return withQuery(`${this.base}/login`, { next });
  }

  logout(): string {
    return `${this.base}/logout`;
  }

  status(): string {
    return `${this.base}/status`;
  }

  asset(file: string): string {
    return `${this.base}/assets/${file}`;
  }

  /**
   * `target` (a login's `next`) as a path and query of this UI, resolved as a browser would (dot segments,
   * encoded or not, tabs and backslashes); undefined when it leads anywhere else.
   */
  ownPage(target: string): string | undefined {
    let url: URL;
    try {
      url = new URL(target, 'http://ui.invalid');
    } catch {
      return undefined;
    }
    if (url.origin !== 'http://ui.invalid' || !url.pathname.startsWith(`${this.base}/`)) return undefined;
    return `${url.pathname}${url.search}`;
  }
}

function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

function withQuery(path: string, query: Record<string, string | undefined> | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, value);
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}
