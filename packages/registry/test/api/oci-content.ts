// Test content for the conformance suite: random blobs with their digests, and OCI / Docker manifests
// serialised in a deliberately non-canonical way so that "served byte-exact" is a real check.
import { createHash, randomBytes } from 'node:crypto';

/** Media types written out here, not imported from the server: the suite tests the server, not itself. */
export const MediaType = {
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** The Accept header of a modern client (docker, containerd, skopeo): every manifest type it can use. */
export const ACCEPT_ANY_MANIFEST = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(', ');

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** Bytes plus the digest a client would compute for them. */
export interface Content {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly size: number;
}

export interface ManifestDocument extends Content {
  /** The media type the document is pushed and expected to be served as. */
  readonly mediaType: string;
  readonly json: Record<string, unknown>;
  descriptor(extra?: Partial<Descriptor>): Descriptor;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function sha512(bytes: Uint8Array): string {
  return `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
}

export function contentOf(bytes: Uint8Array | string): Content {
  const buffer = Buffer.from(bytes);
  return { bytes: buffer, digest: sha256(buffer), size: buffer.length };
}

export function randomBlob(size = 2048): Content {
  return contentOf(randomBytes(size));
}

/** A digest nobody pushed: well-formed, unknown everywhere. */
export function unknownDigest(): string {
  return sha256(randomBytes(32));
}

/** A repository name nobody else in the run uses, under an area prefix ("blob-pull/3fa2c1d0"). */
export function uniqueRepository(area: string): string {
  return `conformance/${area}/${randomBytes(4).toString('hex')}`;
}

export function uniqueTag(prefix = 'tag'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function blobDescriptor(content: Content, mediaType: string = MediaType.OciLayer): Descriptor {
  return { mediaType, digest: content.digest, size: content.size };
}

/** An image config blob; random content keeps every image distinct. */
export function imageConfig(): Content {
  const config = {
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [sha256(randomBytes(16))] },
    config: { Env: [`NONCE=${randomBytes(8).toString('hex')}`] },
  };
  return contentOf(JSON.stringify(config));
}

/** Three-space indentation, a trailing newline: any re-serialisation by the server changes the bytes. */
export function manifestDocument(json: Record<string, unknown>, mediaType: string): ManifestDocument {
  const bytes = Buffer.from(`${JSON.stringify(json, null, 3)}\n`);
  const digest = sha256(bytes);
  return {
    bytes,
    digest,
    size: bytes.length,
    mediaType,
    json,
    descriptor: (extra = {}) => ({ mediaType, digest, size: bytes.length, ...extra }),
  };
}

export interface ImageManifestOptions {
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Leave out the top-level mediaType, as umoci does. */
  omitMediaType?: boolean;
}

export function imageManifest(options: ImageManifestOptions): ManifestDocument {
  const json: Record<string, unknown> = { schemaVersion: 2 };
  if (!options.omitMediaType) json.mediaType = MediaType.OciManifest;
  if (options.artifactType !== undefined) json.artifactType = options.artifactType;
  json.config = options.config;
  json.layers = options.layers;
  if (options.subject) json.subject = options.subject;
  if (options.annotations) json.annotations = options.annotations;
  return manifestDocument(json, MediaType.OciManifest);
}

export interface ImageIndexOptions {
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  omitMediaType?: boolean;
}

export function imageIndex(options: ImageIndexOptions): ManifestDocument {
  const json: Record<string, unknown> = { schemaVersion: 2 };
  if (!options.omitMediaType) json.mediaType = MediaType.OciIndex;
  if (options.artifactType !== undefined) json.artifactType = options.artifactType;
  json.manifests = options.manifests;
  if (options.subject) json.subject = options.subject;
  if (options.annotations) json.annotations = options.annotations;
  return manifestDocument(json, MediaType.OciIndex);
}

export function dockerManifest(config: Descriptor, layers: Descriptor[]): ManifestDocument {
  return manifestDocument(
    {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { ...config, mediaType: MediaType.DockerConfig },
      layers: layers.map((layer) => ({ ...layer, mediaType: MediaType.DockerLayer })),
    },
    MediaType.DockerManifest,
  );
}

export function dockerManifestList(manifests: Descriptor[]): ManifestDocument {
  return manifestDocument({ schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests }, MediaType.DockerManifestList);
}

export const LINUX_AMD64: Platform = { architecture: 'amd64', os: 'linux' };
export const LINUX_ARM64: Platform = { architecture: 'arm64', os: 'linux', variant: 'v8' };
