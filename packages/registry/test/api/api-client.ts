// A small HTTP client for the OCI distribution API, driving the registry the way docker, podman and skopeo
// do: global fetch with manual redirects, every Location header followed exactly as the server gave it.
import { expect } from 'chai';
import {
  ACCEPT_ANY_MANIFEST,
  type Content,
  type Descriptor,
  type ImageManifestOptions,
  type ManifestDocument,
  blobDescriptor,
  contentOf,
  dockerManifest,
  imageConfig,
  imageManifest,
  MediaType,
  randomBlob,
} from './oci-content.js';

/** A response read to the end, so tests can assert on status, headers and bytes together. */
export class ApiResponse {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly body: Buffer,
  ) {}

  header(name: string): string | null {
    return this.headers.get(name);
  }

  get text(): string {
    return this.body.toString('utf8');
  }

  json<T = unknown>(): T {
    return JSON.parse(this.text) as T;
  }
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A Buffer is sent with its Content-Length; a ReadableStream is sent chunked, without one. */
  body?: Buffer | ReadableStream<Uint8Array>;
}

export interface UploadSession {
  /** Absolute URL of the session, from the latest Location header. */
  location: string;
  response: ApiResponse;
}

export interface PushedImage {
  repository: string;
  config: Content;
  layers: Content[];
  manifest: ManifestDocument;
  /** What the manifest was built from, to build variants of it. */
  manifestOptions: ImageManifestOptions;
}

export class RegistryApiClient {
  constructor(readonly baseUrl: string) {}

  /** Resolves a Location header (absolute, or relative as the spec allows) against the registry. */
  resolve(location: string): string {
    return new URL(location, this.baseUrl).toString();
  }

  async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const init: RequestInit & { duplex?: 'half' } = { method, redirect: 'manual', headers: options.headers ?? {} };
    if (options.body !== undefined) {
      init.body = options.body as unknown as NonNullable<RequestInit["body"]>;
      if (options.body instanceof ReadableStream) init.duplex = 'half';
    }
    const response = await fetch(this.resolve(pathOrUrl), init);
    const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
    return new ApiResponse(response.status, response.headers, body);
  }

  get(path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.request('GET', path, { headers });
  }

  head(path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.request('HEAD', path, { headers });
  }

  delete(path: string): Promise<ApiResponse> {
    return this.request('DELETE', path);
  }

  /** GET or HEAD a manifest the way docker and skopeo do, accepting every manifest type. */
  fetchManifest(repository: string, reference: string, method: 'GET' | 'HEAD' = 'GET'): Promise<ApiResponse> {
    return this.request(method, `/v2/${repository}/manifests/${reference}`, { headers: { Accept: ACCEPT_ANY_MANIFEST } });
  }

  // Blobs ------------------------------------------------------------------------------------------

  /** POST /v2/<name>/blobs/uploads/ with an empty body; asserts 202 and a Location. */
  async startUpload(repository: string, query = ''): Promise<UploadSession> {
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/${query}`, {
      body: Buffer.alloc(0),
    });
    expect(response.status, `POST upload: ${response.text}`).to.equal(202);
    const location = response.header('location');
    expect(location, 'Location of a new upload session').to.be.a('string').and.not.equal('');
    return { location: this.resolve(location!), response };
  }

  /** PATCH one chunk with the distribution form `Content-Range: <start>-<end>` (inclusive). */
  patchChunk(location: string, bytes: Buffer, offset: number, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.request('PATCH', location, {
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${offset}-${offset + bytes.length - 1}`,
        ...headers,
      },
      body: bytes,
    });
  }

  /** PATCH a chunk as docker does: streamed, no Content-Range, no Content-Length. */
  patchStream(location: string, bytes: Buffer): Promise<ApiResponse> {
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const half = Math.floor(bytes.length / 2);
        controller.enqueue(bytes.subarray(0, half));
        controller.enqueue(bytes.subarray(half));
        controller.close();
      },
    });
    return this.request('PATCH', location, { headers: { 'Content-Type': 'application/octet-stream' }, body: stream });
  }

  /** The closing PUT `<location>?digest=<digest>`, keeping whatever query the Location already had. */
  completeUpload(location: string, digest: string | null, body?: Buffer, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const url = new URL(location, this.baseUrl);
    if (digest !== null) url.searchParams.set('digest', digest);
    const allHeaders = body ? { 'Content-Type': 'application/octet-stream', ...headers } : headers;
    return this.request('PUT', url.toString(), { headers: allHeaders, body: body ?? Buffer.alloc(0) });
  }

  /** The single-request monolithic push: POST /v2/<name>/blobs/uploads/?digest=<digest> with the blob. */
  postBlob(repository: string, content: Content, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const query = new URLSearchParams({ digest: content.digest });
    return this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, {
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
      body: content.bytes,
    });
  }

  /** POST then PUT; asserts 201 and returns the blob's descriptor. */
  async pushBlob(repository: string, content: Content = randomBlob(), mediaType: string = MediaType.OciLayer): Promise<Descriptor> {
    const session = await this.startUpload(repository);
    const response = await this.completeUpload(session.location, content.digest, content.bytes);
    expect(response.status, `PUT blob: ${response.text}`).to.equal(201);
    return blobDescriptor(content, mediaType);
  }

  blobExists(repository: string, digest: string): Promise<boolean> {
    return this.head(`/v2/${repository}/blobs/${digest}`).then((response) => response.status === 200);
  }

  mount(repository: string, digest: string, from?: string): Promise<ApiResponse> {
    const query = new URLSearchParams({ mount: digest });
    if (from !== undefined) query.set('from', from);
    return this.request('POST', `/v2/${repository}/blobs/uploads/?${query}`, { body: Buffer.alloc(0) });
  }

  // Manifests --------------------------------------------------------------------------------------

  putManifest(
    repository: string,
    reference: string,
    manifest: Pick<ManifestDocument, 'bytes' | 'mediaType'>,
    contentType: string | null = manifest.mediaType,
  ): Promise<ApiResponse> {
    const headers: Record<string, string> = contentType === null ? {} : { 'Content-Type': contentType };
    return this.request('PUT', `/v2/${repository}/manifests/${reference}`, { headers, body: manifest.bytes });
  }

  /** PUT a manifest and assert 201. */
  async pushManifest(repository: string, reference: string, manifest: ManifestDocument): Promise<ApiResponse> {
    const response = await this.putManifest(repository, reference, manifest);
    expect(response.status, `PUT manifest ${repository}:${reference}: ${response.text}`).to.equal(201);
    return response;
  }

  /** Pushes a config, one layer and an OCI image manifest (by tag when given, else by digest). */
  async pushImage(repository: string, tag?: string, extra: Partial<ImageManifestOptions> = {}): Promise<PushedImage> {
    const config = imageConfig();
    const layer = randomBlob(1024);
    await this.pushBlob(repository, config, MediaType.OciConfig);
    await this.pushBlob(repository, layer);
    const manifestOptions: ImageManifestOptions = {
      config: blobDescriptor(config, MediaType.OciConfig),
      layers: [blobDescriptor(layer)],
      ...extra,
    };
    const manifest = imageManifest(manifestOptions);
    await this.pushManifest(repository, tag ?? manifest.digest, manifest);
    return { repository, config, layers: [layer], manifest, manifestOptions };
  }

  /** Pushes a Docker schema2 image (config + one layer + manifest). */
  async pushDockerImage(repository: string, tag?: string): Promise<PushedImage> {
    const config = imageConfig();
    const layer = randomBlob(1024);
    await this.pushBlob(repository, config, MediaType.DockerConfig);
    await this.pushBlob(repository, layer, MediaType.DockerLayer);
    const manifestOptions: ImageManifestOptions = {
      config: blobDescriptor(config, MediaType.DockerConfig),
      layers: [blobDescriptor(layer, MediaType.DockerLayer)],
    };
    const manifest = dockerManifest(manifestOptions.config, manifestOptions.layers);
    await this.pushManifest(repository, tag ?? manifest.digest, manifest);
    return { repository, config, layers: [layer], manifest, manifestOptions };
  }

  /** An artifact manifest (empty config) attached to `subject`. */
  async pushArtifact(
    repository: string,
    subject: Descriptor,
    options: { artifactType?: string; configMediaType?: string; annotations?: Record<string, string> } = {},
  ): Promise<ManifestDocument> {
    const config = contentOf('{}');
    await this.pushBlob(repository, config, options.configMediaType ?? MediaType.OciEmpty);
    const manifest = imageManifest({
      config: blobDescriptor(config, options.configMediaType ?? MediaType.OciEmpty),
      layers: [blobDescriptor(config, MediaType.OciEmpty)],
      subject,
      ...(options.artifactType !== undefined ? { artifactType: options.artifactType } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    });
    await this.pushManifest(repository, manifest.digest, manifest);
    return manifest;
  }

  // Listing ----------------------------------------------------------------------------------------

  async tagsOf(repository: string): Promise<string[]> {
    const response = await this.get(`/v2/${repository}/tags/list`);
    if (response.status === 404) return [];
    expect(response.status, response.text).to.equal(200);
    return response.json<{ tags: string[] | null }>().tags ?? [];
  }
}
