// The declarative shape of the /v2 API: which endpoint a path names, with its repository and reference.
// Repository names contain slashes, so the endpoint is recognised by the path's tail.

export type Endpoint = 'base' | 'catalog' | 'tags' | 'manifest' | 'blob' | 'uploadStart' | 'upload' | 'referrers';

export interface RouteMatch {
  endpoint: Endpoint;
  /** Repository name, not yet validated. */
  name?: string;
  /** Tag, digest or upload id, not yet validated. */
  reference?: string;
}

const TAILS: ReadonlyArray<{ endpoint: Endpoint; pattern: RegExp }> = [
  { endpoint: 'tags', pattern: /^\/(.+)\/tags\/list$/ },
  { endpoint: 'manifest', pattern: /^\/(.+)\/manifests\/([^/]+)$/ },
  { endpoint: 'uploadStart', pattern: /^\/(.+)\/blobs\/uploads\/?$/ },
  { endpoint: 'upload', pattern: /^\/(.+)\/blobs\/uploads\/([^/]+)$/ },
  { endpoint: 'blob', pattern: /^\/(.+)\/blobs\/([^/]+)$/ },
  { endpoint: 'referrers', pattern: /^\/(.+)\/referrers\/([^/]+)$/ },
];

/** Matches a path relative to /v2 ("/", "/_catalog", "/library/busybox/manifests/latest"). */
export function matchRoute(path: string): RouteMatch | null {
  if (path === '/' || path === '') return { endpoint: 'base' };
  if (path === '/_catalog') return { endpoint: 'catalog' };
  for (const { endpoint, pattern } of TAILS) {
    const m = pattern.exec(path);
    if (m) return m[2] === undefined ? { endpoint, name: m[1]! } : { endpoint, name: m[1]!, reference: m[2] };
  }
  return null;
}
