// Fills a registry with what the web UI has to show, the way real clients fill one: skopeo pushes a
// single-platform image and a two-platform index, docker pushes an image it loaded, and plain HTTP (as the
// admin, Basic auth) adds a signature-like referrer, one repository with many tags and a few hundred
// repositories made by mounting the busybox blobs.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSucceeded,
  basicAuth,
  buildBusyboxImage,
  buildMultiArchIndex,
  httpJson,
  MANIFEST_MEDIA_TYPES,
  skopeo,
  type Credentials,
  type Dockerd,
  type HttpJsonResponse,
  type RegistryProcess,
} from '@private-registry/testbed';

export const SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const SIGNATURE_LAYER_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
const EMPTY_CONFIG_TYPE = 'application/vnd.oci.empty.v1+json';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface ImageManifestJson {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** A manifest as the registry stores it: its bytes (digest and size) and what it references. */
export interface StoredImage {
  readonly repository: string;
  /** The tag or digest it was read by. */
  readonly reference: string;
  readonly digest: string;
  /** The manifest's bytes exactly as stored (their sha256 is `digest`). */
  readonly raw: Buffer;
  readonly manifest: ImageManifestJson;
}

export interface StoredPlatform extends StoredImage {
  /** "linux/amd64" */
  readonly platform: string;
}

export interface UiContent {
  /** busybox pushed with skopeo; a signature refers to it. */
  readonly single: StoredImage;
  /** A two-platform OCI index pushed with skopeo copy --all; `digest` is the index's. */
  readonly multi: { readonly repository: string; readonly tag: string; readonly digest: string; readonly platforms: readonly StoredPlatform[] };
  readonly signature: { readonly repository: string; readonly digest: string; readonly bytes: number; readonly subject: string };
  readonly manyTags: { readonly repository: string; readonly tags: readonly string[] };
  readonly bulkRepositories: readonly string[];
  /** Loaded into the private dockerd from an archive and pushed with docker push (every layer uploaded). */
  readonly dockerPushed: { readonly repository: string; readonly tag: string; readonly digest: string };
}

export interface FillOptions {
  /** Who pushes: needs push on every repository (the admin). */
  readonly login: Credentials;
  readonly dockerd: Dockerd;
  /** A directory for the OCI layouts. */
  readonly work: string;
  readonly tagCount?: number;
  readonly repositoryCount?: number;
  /** Requests in flight at once while making the bulk repositories. */
  readonly concurrency?: number;
}

/** The repository the filter test looks for: no other name contains "quokka", and it sorts after the first page. */
export const MULTI_ARCH_REPOSITORY = 'zoo/multiarch-quokka';

export async function fillRegistry(registry: RegistryProcess, options: FillOptions): Promise<UiContent> {
  const { login, dockerd, work } = options;
  const api = new AdminHttp(registry.url, login);
  const creds = `${login.user}:${login.password}`;

  const [busybox, multiLayout, dockerImage] = await Promise.all([
    buildBusyboxImage(join(work, 'busybox'), { tag: 'stable', extraFileContent: 'ui single', labels: { 'org.opencontainers.image.title': 'busybox for the UI' } }),
    buildMultiArchIndex(join(work, 'multi'), ['amd64', 'arm64'], { tag: '1.0', extraFileContent: 'ui multi' }),
    buildBusyboxImage(join(work, 'docker'), { tag: 'v1', extraFileContent: 'ui docker' }),
  ]);

  const single = { repository: 'apps/busybox', tag: 'stable' };
  const multiRef = { repository: MULTI_ARCH_REPOSITORY, tag: '1.0' };
  const dockerRef = { repository: 'docker/pushed', tag: 'v1' };
  const archive = join(work, 'docker.tar');
  await Promise.all([
    skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', creds, busybox.ref, `docker://${registry.host}/${single.repository}:${single.tag}`]).then(assertSucceeded),
    skopeo(['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, multiLayout.ref, `docker://${registry.host}/${multiRef.repository}:${multiRef.tag}`]).then(assertSucceeded),
    skopeo(['copy', dockerImage.ref, `docker-archive:${archive}:ui-docker:v1`]).then(assertSucceeded),
  ]);

  const singleImage = await api.storedImage(single.repository, single.tag);
  const platforms: StoredPlatform[] = [];
  for (const child of multiLayout.manifests) {
    const stored = await api.storedImage(multiRef.repository, child.digest);
    platforms.push({ ...stored, platform: [child.platform.os, child.platform.architecture, child.platform.variant].filter(Boolean).join('/') });
  }

  const concurrency = options.concurrency ?? 16;
  const tags = Array.from({ length: options.tagCount ?? 50 }, (_, i) => `build-${String(i + 1).padStart(3, '0')}`);
  const [signature, dockerPushed] = await Promise.all([
    pushSignature(api, singleImage),
    dockerPush(registry, dockerd, login, archive, dockerRef),
    // The same manifest under many tags: a repository whose tags page has a lot to show.
    api.mountBlobsOf(singleImage, 'apps/many-tags').then(() => forEachConcurrently(tags, concurrency, (tag) => api.putManifest('apps/many-tags', tag, singleImage))),
  ]);

  const bulkRepositories = Array.from({ length: options.repositoryCount ?? 300 }, (_, i) => `bulk/service-${String(i).padStart(3, '0')}`);
  await forEachConcurrently(bulkRepositories, concurrency, async (repository) => {
    await api.mountBlobsOf(singleImage, repository);
    await api.putManifest(repository, 'v1', singleImage);
  });

  return {
    single: singleImage,
    multi: { ...multiRef, digest: multiLayout.indexDigest, platforms },
    signature,
    manyTags: { repository: 'apps/many-tags', tags },
    bulkRepositories,
    dockerPushed,
  };
}

/** An OCI artifact like cosign's signature: empty config, one small layer, `subject` pointing at `image`. */
async function pushSignature(api: AdminHttp, image: StoredImage): Promise<UiContent['signature']> {
  const emptyConfig = await api.pushBlob(image.repository, Buffer.from('{}'), EMPTY_CONFIG_TYPE);
  const payload = Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': image.repository }, image: { 'docker-manifest-digest': image.digest }, type: 'cosign container image signature' }, optional: null }));
  const layer = await api.pushBlob(image.repository, payload, SIGNATURE_LAYER_TYPE);
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPES.ociManifest,
    artifactType: SIGNATURE_ARTIFACT_TYPE,
    config: emptyConfig,
    layers: [{ ...layer, annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQDtestsignature' } }],
    subject: { mediaType: MANIFEST_MEDIA_TYPES.ociManifest, digest: image.digest, size: image.raw.length },
  };
  const body = Buffer.from(JSON.stringify(manifest));
  const digest = sha256(body);
  await api.expect(201, 'PUT', `/v2/${image.repository}/manifests/${digest}`, { 'Content-Type': MANIFEST_MEDIA_TYPES.ociManifest }, body);
  return { repository: image.repository, digest, bytes: body.length, subject: image.digest };
}

/** `docker load` of the archive, then `docker push` as `login`: docker itself uploads every blob. */
async function dockerPush(registry: RegistryProcess, dockerd: Dockerd, login: Credentials, archive: string, ref: { repository: string; tag: string }): Promise<UiContent['dockerPushed']> {
  const target = `${registry.host}/${ref.repository}:${ref.tag}`;
  assertSucceeded(await dockerd.docker(['load', '--input', archive]));
  assertSucceeded(await dockerd.docker(['login', '-u', login.user, '--password-stdin', registry.host], { input: `${login.password}\n` }));
  assertSucceeded(await dockerd.docker(['tag', 'ui-docker:v1', target]));
  const push = assertSucceeded(await dockerd.docker(['push', target]));
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
  if (digest === undefined) throw new Error(`no digest in docker push output:\n${push.stdout}`);
  return { ...ref, digest };
}

/** The registry API as the admin: Basic auth sent up front (no 401 round trip per request). */
export class AdminHttp {
  private readonly authorization: string;

  constructor(
    readonly baseUrl: string,
    login: Credentials,
  ) {
    this.authorization = basicAuth(login.user, login.password);
  }

  request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<HttpJsonResponse> {
    return httpJson(`${this.baseUrl}${path}`, { method, headers: { Authorization: this.authorization, ...headers }, ...(body === undefined ? {} : { body }) });
  }

  async expect(status: number, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<HttpJsonResponse> {
    const response = await this.request(method, path, headers, body);
    if (response.status !== status) throw new Error(`${method} ${path} answered ${response.status}, expected ${status}: ${response.text.slice(0, 500)}`);
    return response;
  }

  async tags(repository: string): Promise<string[]> {
    const response = await this.expect(200, 'GET', `/v2/${repository}/tags/list`);
    return ((response.json as { tags?: string[] | null }).tags ?? []).slice().sort();
  }

  /** The manifest stored under `reference`, with its digest and byte size as served. */
  async storedImage(repository: string, reference: string): Promise<StoredImage> {
    const response = await this.expect(200, 'GET', `/v2/${repository}/manifests/${reference}`, { Accept: [MANIFEST_MEDIA_TYPES.ociManifest, MANIFEST_MEDIA_TYPES.dockerManifest].join(', ') });
    const digest = response.headers.get('docker-content-digest');
    if (digest === null || digest !== sha256(Buffer.from(response.text))) throw new Error(`${repository}:${reference}: digest header ${String(digest)} does not match the body`);
    return { repository, reference, digest, raw: Buffer.from(response.text), manifest: response.json as ImageManifestJson };
  }

  /** POST then PUT (monolithic upload); returns the blob's descriptor. */
  async pushBlob(repository: string, content: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(content);
    const started = await this.expect(202, 'POST', `/v2/${repository}/blobs/uploads/`);
    const location = new URL(started.headers.get('location') ?? '', this.baseUrl);
    location.searchParams.set('digest', digest);
    await this.expect(201, 'PUT', `${location.pathname}${location.search}`, { 'Content-Type': 'application/octet-stream' }, content);
    return { mediaType, digest, size: content.length };
  }

  /** Cross-repository mounts of the config and layers of `image` into `repository` (201 each). */
  async mountBlobsOf(image: StoredImage, repository: string): Promise<void> {
    for (const blob of [image.manifest.config, ...image.manifest.layers]) {
      await this.expect(201, 'POST', `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(image.repository)}`);
    }
  }

  /** PUT `image`'s manifest (its exact bytes, so the same digest) under `tag` in `repository`. */
  async putManifest(repository: string, tag: string, image: StoredImage): Promise<void> {
    // umoci writes no top-level mediaType: the Content-Type says what it is.
    await this.expect(201, 'PUT', `/v2/${repository}/manifests/${tag}`, { 'Content-Type': image.manifest.mediaType ?? MANIFEST_MEDIA_TYPES.ociManifest }, image.raw);
  }
}

/** Runs `work` on every item, at most `limit` at a time; after a failure no new item starts, and it rejects. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  const results = await Promise.allSettled(runners);
  const rejected = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

export function sha256(content: Buffer): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}
