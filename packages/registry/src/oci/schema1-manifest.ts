// Docker image manifest schema 1 (`fsLayers[].blobSum`): this registry neither accepts nor serves it, but
// stores written by older registry:2 versions hold some. fsck and the collector must still see the layers
// such a manifest references, or a repair would delete its tags and a collection its layers.
import { tryParseDigest, type Digest } from './digest.js';
import type { ParsedManifest } from './manifest.js';

export const SCHEMA1_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const SCHEMA1_LAYER_MEDIA_TYPE = 'application/vnd.docker.container.image.rootfs.diff+x-gtar';

/** The manifest's layers as a ParsedManifest (sizes unknown: 0), or undefined when `content` is not schema 1. */
export function parseSchema1Layers(content: Buffer): ParsedManifest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  const manifest = value as { schemaVersion?: unknown; fsLayers?: unknown } | null;
  if (manifest?.schemaVersion !== 1 || !Array.isArray(manifest.fsLayers)) return undefined;
  const digests = new Map<string, Digest>();
  for (const layer of manifest.fsLayers as ({ blobSum?: unknown } | null)[]) {
    const digest = tryParseDigest(typeof layer?.blobSum === 'string' ? layer.blobSum : undefined);
    if (digest === null) return undefined;
    digests.set(digest.value, digest);
  }
  const blobs = [...digests.values()].map((digest) => ({ mediaType: SCHEMA1_LAYER_MEDIA_TYPE, digest, size: 0 }));
  return { mediaType: SCHEMA1_MEDIA_TYPE, blobs, manifests: [] };
}
