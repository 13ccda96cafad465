// What a list needs to know of a manifest, computed once per digest and kept (content under a digest never
// changes): its kind, total size, platforms (each platform of an index with its own size), creation time and the
// blobs it pulls in (so a repository's size counts a shared layer once). A list page asks for the digests it
// shows and nothing else; concurrent asks for one digest share one computation.
import type { Descriptor } from '../oci/manifest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import type { Digest } from '../oci/digest.js';
import type { ManifestStore } from '../services/manifest-store.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { artifactTypeOf, IMAGE_CONFIG_TYPES, readImageConfig } from './image-config.js';

export interface PlatformSummary {
  /** "linux/amd64", "linux/arm/v7", or "unknown" (an attestation or an artifact in an index). */
  platform: string;
  digest: string;
  size: number;
}

export interface ImageSummary {
  digest: string;
  mediaType: string;
  kind: 'image' | 'index' | 'artifact';
  artifactType?: string;
  /** The manifest, its config and layers; for an index itself plus each distinct blob of its children. */
  size: number;
  platforms: PlatformSummary[];
  /** The config's `created` (an index: its newest child's). */
  created?: string;
  /** Every blob and manifest this pulls in, by digest, with its size. */
  parts: ReadonlyMap<string, number>;
}

/** Summaries kept (about 1 KiB each with their parts); older ones are computed again when asked. */
const MAX_ENTRIES = 20_000;
/** Children of an index looked at for one summary: an index of thousands of manifests is summed over these. */
const MAX_CHILDREN = 256;

export class ImageSummaries {
  private readonly entries = new Map<string, ImageSummary>();
  private readonly computing = new Map<string, Promise<ImageSummary | undefined>>();
  /** Summaries made while a part was not in the store (a mirror keeps a manifest before its blobs): not kept. */
  private readonly incomplete = new WeakSet<ImageSummary>();

  constructor(
    private readonly manifests: ManifestStore,
    private readonly driver: StorageDriver,
  ) {}

  /** The summary of manifest `digest`; undefined when its body is missing or unreadable. */
  async get(digest: Digest): Promise<ImageSummary | undefined> {
    const cached = this.entries.get(digest.value);
    if (cached !== undefined) return cached;
    let pending = this.computing.get(digest.value);
    if (pending === undefined) {
      pending = this.compute(digest, 0).finally(() => this.computing.delete(digest.value));
      this.computing.set(digest.value, pending);
    }
    return pending;
  }

  private async compute(digest: Digest, depth: number): Promise<ImageSummary | undefined> {
    let manifest;
    try {
      manifest = await this.manifests.load(digest);
    } catch {
      return undefined; // not a manifest we can parse (schema 1, corrupt): the page says "unreadable"
    }
    if (manifest === null) return undefined;
    const { parsed } = manifest;
    const parts = new Map<string, number>([[digest.value, manifest.content.length]]);
    let summary: ImageSummary;
    if (isIndexMediaType(parsed.mediaType)) {
      // Nested indexes are summed two levels deep (content addressing rules out cycles; this bounds the work).
      const children = depth > 1 ? [] : parsed.manifests.slice(0, MAX_CHILDREN);
      const childSummaries = await Promise.all(children.map((child) => this.entries.get(child.digest.value) ?? this.compute(child.digest, depth + 1)));
      const platforms: PlatformSummary[] = [];
      let created: string | undefined;
      let complete = true;
      children.forEach((child, i) => {
        const childSummary = childSummaries[i];
        if (childSummary === undefined || this.incomplete.has(childSummary)) complete = false;
        const size = childSummary?.size ?? child.size;
        if (childSummary) for (const [part, partSize] of childSummary.parts) parts.set(part, partSize);
        else parts.set(child.digest.value, child.size);
        platforms.push({ platform: platformOf(child) ?? childSummary?.platforms[0]?.platform ?? 'unknown', digest: child.digest.value, size });
        if (childSummary?.created !== undefined && (created === undefined || childSummary.created > created)) created = childSummary.created;
      });
      summary = { digest: digest.value, mediaType: parsed.mediaType, kind: 'index', size: 0, platforms, parts, ...(created ? { created } : {}) };
      if (!complete) this.incomplete.add(summary);
    } else {
      for (const blob of parsed.blobs) parts.set(blob.digest.value, blob.size);
      const configDescriptor = parsed.blobs[0];
      const isImageConfig = configDescriptor !== undefined && IMAGE_CONFIG_TYPES.has(configDescriptor.mediaType);
      const config = isImageConfig ? await readImageConfig(this.driver, configDescriptor.digest).catch(() => undefined) : undefined;
      const artifactType = artifactTypeOf(parsed);
      const platform = config?.os && config.architecture ? [config.os, config.architecture, config.variant].filter(Boolean).join('/') : undefined;
      summary = {
        digest: digest.value,
        mediaType: parsed.mediaType,
        kind: artifactType === undefined ? 'image' : 'artifact',
        ...(artifactType === undefined ? {} : { artifactType }),
        size: 0,
        platforms: platform === undefined ? [] : [{ platform, digest: digest.value, size: 0 }],
        parts,
        ...(config?.created ? { created: config.created } : {}),
      };
      if (isImageConfig && config === undefined) this.incomplete.add(summary);
    }
    summary.size = [...parts.values()].reduce((sum, size) => sum + size, 0);
    if (summary.kind !== 'index') for (const platform of summary.platforms) platform.size = summary.size;
    if (!this.incomplete.has(summary)) this.remember(summary);
    return summary;
  }

  private remember(summary: ImageSummary): void {
    this.entries.set(summary.digest, summary);
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}

/** "os/arch[/variant]" from an index entry's platform, when it has one. */
export function platformOf(descriptor: Descriptor): string | undefined {
  const platform = descriptor.platform;
  if (platform === null || typeof platform !== 'object') return undefined;
  const { os, architecture, variant } = platform as Record<string, unknown>;
  if (typeof os !== 'string' || typeof architecture !== 'string') return undefined;
  // buildx's attestation manifests say unknown/unknown: shown as such.
  return [os, architecture, typeof variant === 'string' ? variant : undefined].filter(Boolean).join('/');
}
