// Parsing and validation of a pushed manifest: what it is, what it references, what it refers to.
import { RegistryError } from './registry-errors.js';
import { tryParseDigest, type Digest } from './digest.js';
import { MediaType, MANIFEST_MEDIA_TYPES, bareMediaType, isIndexMediaType } from './media-types.js';

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: unknown;
  /** Foreign (non-distributable) layers are fetched from these URLs, not from the registry. */
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  /** Blobs that must exist in the repository: config + layers (empty for an index). */
  blobs: Descriptor[];
  /** Child manifests that must exist in the repository (index only). */
  manifests: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  configMediaType?: string;
  annotations?: Record<string, string>;
}

/** Docker-compatible limit on a manifest body; larger pushes get 413. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

function invalid(reason: string): RegistryError {
  return new RegistryError('MANIFEST_INVALID', 'manifest invalid', { detail: { reason } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw invalid(`${where} must be a map of strings`);
  }
  return value as Record<string, string>;
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (!isRecord(value)) throw invalid(`${where} must be a descriptor object`);
  const { mediaType, digest, size, artifactType, annotations, platform, urls } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw invalid(`${where}.mediaType must be a non-empty string`);
  const parsed = typeof digest === 'string' ? tryParseDigest(digest) : null;
  if (!parsed) throw invalid(`${where}.digest is not a valid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalid(`${where}.size must be a non-negative integer`);
  if (artifactType !== undefined && typeof artifactType !== 'string') throw invalid(`${where}.artifactType must be a string`);
  const descriptor: Descriptor = { mediaType, digest: parsed, size };
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  const ann = stringMap(annotations, `${where}.annotations`);
  if (ann) descriptor.annotations = ann;
  if (platform !== undefined) descriptor.platform = platform;
  if (urls !== undefined) {
    if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string')) throw invalid(`${where}.urls must be an array of strings`);
    descriptor.urls = urls as string[];
  }
  return descriptor;
}

function descriptorList(value: unknown, where: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  return value.map((item, i) => parseDescriptor(item, `${where}[${i}]`));
}

/** The media type a body says it has, or the one its shape implies when it has no mediaType (umoci). */
function resolveMediaType(body: Record<string, unknown>, contentType: string | undefined): string {
  const declared = body.mediaType;
  if (declared !== undefined && typeof declared !== 'string') throw invalid('mediaType must be a string');
  const header = bareMediaType(contentType);
  if (declared) {
    if (!MANIFEST_MEDIA_TYPES.includes(declared)) throw invalid(`unsupported manifest media type ${declared}`);
    if (header && MANIFEST_MEDIA_TYPES.includes(header) && header !== declared) {
      throw invalid(`Content-Type ${header} does not match the manifest's mediaType ${declared}`);
    }
    return declared;
  }
  if (header && MANIFEST_MEDIA_TYPES.includes(header)) return header;
  if (Array.isArray(body.manifests)) return MediaType.OciIndex;
  if (isRecord(body.config) && Array.isArray(body.layers)) return MediaType.OciManifest;
  throw invalid('cannot tell the manifest type: no mediaType, and neither config+layers nor manifests');
}

export function parseManifest(content: Buffer, contentType: string | undefined): ParsedManifest {
  if (content.length > MAX_MANIFEST_BYTES) {
    throw new RegistryError('MANIFEST_TOO_LARGE', `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, { status: 413 });
  }
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    throw invalid('body is not valid JSON');
  }
  if (!isRecord(body)) throw invalid('body must be a JSON object');
  if (body.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const mediaType = resolveMediaType(body, contentType);
  const parsed: ParsedManifest = { mediaType, blobs: [], manifests: [] };
  if (isIndexMediaType(mediaType)) {
    parsed.manifests = descriptorList(body.manifests, 'manifests');
  } else {
    const config = parseDescriptor(body.config, 'config');
    parsed.configMediaType = config.mediaType;
    parsed.blobs = [config, ...descriptorList(body.layers ?? [], 'layers')];
  }
  if (body.subject !== undefined) parsed.subject = parseDescriptor(body.subject, 'subject');
  if (body.artifactType !== undefined) {
    if (typeof body.artifactType !== 'string') throw invalid('artifactType must be a string');
    parsed.artifactType = body.artifactType;
  }
  const annotations = stringMap(body.annotations, 'annotations');
  if (annotations) parsed.annotations = annotations;
  return parsed;
}
