// Malformed requests for every route: what a fuzzer, a confused script or an attacker sends. The registry
// must answer each with a client error (or ignore the garbage), never a 500.
import type { RawRequest } from './raw-http.js';

export interface GarbageContext {
  /** An existing repository with one pushed image tagged "v1". */
  repository: string;
  /** A blob present in that repository. */
  digest: string;
  /** Path (with query) of a fresh upload session in that repository. */
  newUploadPath(): Promise<string>;
}

export interface GarbageRequest {
  title: string;
  build(context: GarbageContext): Promise<RawRequest> | RawRequest;
}

const HEX64 = 'a'.repeat(64);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DEEP_JSON = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;

function get(path: string, headers: Record<string, string> = {}): GarbageRequest {
  return { title: `GET ${path.slice(0, 90)} ${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join(' ').slice(0, 60)}`.trim(), build: () => ({ method: 'GET', path, headers }) };
}

function withRepository(title: string, build: (context: GarbageContext) => RawRequest): GarbageRequest {
  return { title, build };
}

function putManifest(title: string, body: string | Buffer, contentType = OCI_MANIFEST): GarbageRequest {
  return withRepository(`PUT manifest: ${title}`, ({ repository }) => ({
    method: 'PUT',
    path: `/v2/${repository}/manifests/garbage`,
    headers: { 'Content-Type': contentType },
    body,
  }));
}

function onUpload(title: string, method: string, query: string, headers: Record<string, string> = {}, body?: string): GarbageRequest {
  return {
    title: `${method} upload session: ${title}`,
    build: async (context) => {
      const path = await context.newUploadPath();
      const separator = path.includes('?') ? '&' : '?';
      return { method, path: query ? `${path}${separator}${query}` : path, headers, ...(body !== undefined ? { body } : {}) };
    },
  };
}

export const GARBAGE_REQUESTS: GarbageRequest[] = [
  // Base and catalog
  get('/v2'),
  get('/v2/%00'),
  get('/v2/../../etc/passwd'),
  get('/v2/..%2f..%2fetc%2fpasswd/tags/list'),
  { title: 'OPTIONS /v2/', build: () => ({ method: 'OPTIONS', path: '/v2/' }) },
  { title: 'PROPFIND /v2/', build: () => ({ method: 'PROPFIND', path: '/v2/' }) },
  get('/v2/', { Accept: ';;;,,,;q=abc' }),
  get('/v2/_catalog?n=99999999999999999999999'),
  get('/v2/_catalog?n=1e3'),
  get('/v2/_catalog?n=1&n=2'),
  get('/v2/_catalog?last=%ff%fe'),
  get('/v2/_catalog?last[]=a&last[]=b'),
  get('/v2/_catalog?n[$gt]=1'),
  get('/v2/_catalog?n=%00'),
  // Names
  get('/v2/%2e%2e/tags/list'),
  get('/v2/a%2Fb/tags/list'),
  get(`/v2/${'a/'.repeat(200)}b/tags/list`),
  get('/v2/%ff/tags/list'),
  get('/v2//tags/list'),
  // Tags
  withRepository('GET tags/list?n=2&last=%00', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/tags/list?n=2&last=%00` })),
  withRepository('GET tags/list?last[]=a', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/tags/list?last[]=a&last[]=b` })),
  withRepository('GET tags/list?n=huge', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/tags/list?n=99999999999999999999` })),
  withRepository('GET tags/list?n=', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/tags/list?n=` })),
  withRepository('GET tags/list?n=1.5', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/tags/list?n=1.5` })),
  // Manifest references
  withRepository('GET manifests/%00', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/manifests/%00` })),
  withRepository('GET manifests/..%2F..%2Fx', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/manifests/..%2F..%2Fx` })),
  withRepository('GET manifests/sha256:../../x', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/manifests/sha256:..%2F..%2Fx` })),
  withRepository('GET manifests/<300-char tag>', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/manifests/${'t'.repeat(300)}` })),
  withRepository('HEAD manifests/md5:...', ({ repository }) => ({ method: 'HEAD', path: `/v2/${repository}/manifests/md5:${'a'.repeat(32)}` })),
  withRepository('GET manifests with 1000 commas in Accept', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/manifests/v1`, headers: { Accept: ','.repeat(1000) } })),
  withRepository('DELETE manifests/sha256:xyz', ({ repository }) => ({ method: 'DELETE', path: `/v2/${repository}/manifests/sha256:xyz` })),
  // Manifest bodies
  putManifest('null', 'null'),
  putManifest('config and layers null', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: null, layers: null })),
  putManifest('layers of non-objects', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: `sha256:${HEX64}`, size: 1 }, layers: [1, 'x', null] })),
  putManifest('string and negative sizes', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: `sha256:${HEX64}`, size: '12' }, layers: [{ mediaType: 'x', digest: `sha256:${HEX64}`, size: -5 }] })),
  putManifest('schemaVersion "2"', JSON.stringify({ schemaVersion: '2', mediaType: OCI_MANIFEST, config: {}, layers: [] })),
  putManifest('mediaType is a number', JSON.stringify({ schemaVersion: 2, mediaType: 123, config: {}, layers: [] })),
  putManifest('subject is a string', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [], subject: 'sha256:abc' })),
  putManifest('subject with a malformed digest', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'x', digest: `sha256:${HEX64}`, size: 1 }, layers: [], subject: { mediaType: OCI_MANIFEST, digest: 'sha256:xyz', size: 1 } })),
  putManifest('index of empty descriptors', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{}, null] }), 'application/vnd.oci.image.index.v1+json'),
  putManifest('manifest list with manifests null', JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: null }), 'application/vnd.docker.distribution.manifest.list.v2+json'),
  putManifest('__proto__ keys', `{"__proto__":{"polluted":true},"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","config":{"__proto__":null},"layers":[]}`),
  putManifest('200,000 levels of nesting', DEEP_JSON),
  putManifest('invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b, 0x7d])),
  putManifest('garbage Content-Type', '{}', ';;;'),
  putManifest('unknown media type', JSON.stringify({ schemaVersion: 2, mediaType: 'application/x-nonsense' }), 'application/x-nonsense'),
  // Blob digests and ranges
  ...['sha256:xyz', `md5:${'a'.repeat(32)}`, `sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, 'sha512:abc', 'sha256:', ':', 'sha256:..%2F..%2F..', '%00'].map((digest) =>
    withRepository(`GET blobs/${digest.slice(0, 30)}`, ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/blobs/${digest}` })),
  ),
  ...['bytes=abc', 'bytes=5-2', 'bytes=0-1,3-4', 'bytes=-0', 'items=0-1', 'bytes=99999999999999999999-', 'bytes=', 'bytes=--1'].map((range) =>
    withRepository(`GET blob with Range: ${range}`, ({ repository, digest }) => ({ method: 'GET', path: `/v2/${repository}/blobs/${digest}`, headers: { Range: range } })),
  ),
  withRepository('HEAD blob with Range: bytes=abc', ({ repository, digest }) => ({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, headers: { Range: 'bytes=abc' } })),
  // Upload starts
  ...['digest=sha256:xyz', `digest=md5:${'a'.repeat(32)}`, 'mount=sha256:xyz&from=x', 'mount=__DIGEST__&from=UPPER', 'mount=__DIGEST__&from=..%2F..%2Fx', 'mount[]=a', 'digest[]=a', 'digest=', 'mount=&from='].map((query) =>
    withRepository(`POST blobs/uploads/?${query}`, ({ repository, digest }) => ({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/?${query.replace('__DIGEST__', digest)}`,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: 'some bytes',
    })),
  ),
  withRepository('POST blobs/uploads/ with a body but no digest', ({ repository }) => ({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, body: 'unexpected body' })),
  // Upload sessions
  ...['abc', '-1-5', '0-', '-', '99999999999999999999-99999999999999999999', 'bytes 0-9/10', '0-9-10'].map((range) =>
    onUpload(`Content-Range: ${range}`, 'PATCH', '', { 'Content-Range': range, 'Content-Type': 'application/octet-stream' }, '0123456789'),
  ),
  onUpload('Content-Range 0-9 with an empty body', 'PATCH', '', { 'Content-Range': '0-9' }, ''),
  onUpload('?digest=sha256:xyz', 'PUT', 'digest=sha256:xyz', {}, 'abc'),
  onUpload('two digest parameters', 'PUT', `digest=sha256:${HEX64}&digest=sha256:${'b'.repeat(64)}`, {}, 'abc'),
  onUpload('Content-Range: garbage on PUT', 'PUT', `digest=sha256:${HEX64}`, { 'Content-Range': 'garbage' }, 'abc'),
  withRepository('GET blobs/uploads/%00', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/blobs/uploads/%00` })),
  withRepository('GET blobs/uploads/../../..', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/blobs/uploads/..%2F..%2F..%2Fetc` })),
  withRepository('GET blobs/uploads/<1000 chars>', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/blobs/uploads/${'u'.repeat(1000)}` })),
  withRepository('PATCH blobs/uploads/ without id', ({ repository }) => ({ method: 'PATCH', path: `/v2/${repository}/blobs/uploads/`, body: 'x' })),
  withRepository('PUT blobs/uploads/ without id', ({ repository }) => ({ method: 'PUT', path: `/v2/${repository}/blobs/uploads/?digest=sha256:${HEX64}`, body: 'x' })),
  withRepository('DELETE blobs/uploads/ without id', ({ repository }) => ({ method: 'DELETE', path: `/v2/${repository}/blobs/uploads/` })),
  // Referrers
  withRepository('GET referrers/sha256:xyz', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/referrers/sha256:xyz` })),
  withRepository('GET referrers/ without digest', ({ repository }) => ({ method: 'GET', path: `/v2/${repository}/referrers/` })),
  withRepository('GET referrers?artifactType=%00', ({ repository, digest }) => ({ method: 'GET', path: `/v2/${repository}/referrers/${digest}?artifactType=%00` })),
  withRepository('GET referrers?artifactType[]=a', ({ repository, digest }) => ({ method: 'GET', path: `/v2/${repository}/referrers/${digest}?artifactType[]=a&artifactType[]=b` })),
];
