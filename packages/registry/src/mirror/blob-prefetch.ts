// A cold pull through the mirror, fetched ahead: once a client GETs an image manifest the mirror had to fetch
// from upstream, the config and layers it names are downloaded at once, a few at a time, through the same
// one-download-per-digest path the client's own blob GETs take (MirrorBlobs): a GET for a blob being prefetched
// joins its transfer, and finds bytes already flowing instead of waiting for the previous layer to finish.
//
// Only GETs trigger it (a HEAD is how tag watchers check for updates; they never pull the layers), only image
// manifests (an index names every platform: its platform manifest, fetched next, names the layers wanted), and
// only blobs not stored yet. Blobs still queued are dropped when the client's connection closes; a download
// already under way finishes and is cached (the usual path: verified, then committed; a failed one leaves
// nothing behind).
import type { Logger } from '@private-registry/core';
import type { Digest } from '../oci/digest.js';
import { parseManifest } from '../oci/manifest.js';
import type { BlobStore } from '../services/blob-store.js';
import type { MirrorBlobs } from './mirror-blobs.js';
import type { UpstreamRoute } from './upstream-router.js';

export interface BlobPrefetchOptions {
  mirrorBlobs: MirrorBlobs;
  blobs: BlobStore;
  log: Logger;
  /** Downloads the prefetcher runs at once, over all manifests (0: no prefetching). */
  concurrency: number;
}

interface Queued {
  name: string;
  route: UpstreamRoute;
  digest: Digest;
  signal: AbortSignal | undefined;
}

/** The config and layer digests of an image manifest (OCI or Docker v2 schema 2); none for anything else. */
export function imageBlobDigests(content: Buffer, mediaType: string): Digest[] {
  let blobs;
  try {
    ({ blobs } = parseManifest(content, mediaType));
  } catch {
    return []; // not a manifest we could serve either: nothing to fetch ahead
  }
  const digests = new Map<string, Digest>();
  for (const { digest } of blobs) digests.set(digest.value, digest);
  return [...digests.values()];
}

export class BlobPrefetch {
  private readonly queue: Queued[] = [];
  private running = 0;
  /** Digests queued or running: a manifest many clients fetched at once queues its blobs once. */
  private readonly active = new Set<string>();

  constructor(private readonly options: BlobPrefetchOptions) {}

  /** Queues the blobs `content` names for `name`; `signal` aborts when the client's connection closes. */
  start(name: string, route: UpstreamRoute, content: Buffer, mediaType: string, signal?: AbortSignal): void {
    if (this.options.concurrency <= 0 || signal?.aborted === true) return;
    const digests = imageBlobDigests(content, mediaType);
    if (digests.length === 0) return;
    for (const digest of digests) {
      if (this.active.has(digest.value)) continue;
      this.active.add(digest.value);
      this.queue.push({ name, route, digest, signal });
    }
    signal?.addEventListener('abort', () => this.drop(signal), { once: true });
    this.pump();
  }

  private drop(signal: AbortSignal): void {
    const before = this.queue.length;
    for (let i = this.queue.length - 1; i >= 0; i -= 1) {
      const queued = this.queue[i]!;
      if (queued.signal !== signal) continue;
      this.queue.splice(i, 1);
      this.active.delete(queued.digest.value);
    }
    const dropped = before - this.queue.length;
    if (dropped > 0) this.options.log.debug({ dropped }, 'client went away: queued prefetches dropped');
  }

  private pump(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const next = this.queue.shift()!;
      this.running += 1;
      void this.fetch(next).finally(() => {
        this.running -= 1;
        this.active.delete(next.digest.value);
        this.pump();
      });
    }
  }

  /** One blob: skipped when stored already; else the shared transfer, waited for to its end (that bounds the concurrency). */
  private async fetch({ name, route, digest }: Queued): Promise<void> {
    const { mirrorBlobs, blobs, log } = this.options;
    try {
      if ((await blobs.statGlobal(digest)) !== null) return;
      const transfer = await mirrorBlobs.transfer(name, route, digest, true);
      if (transfer !== 'stored') await transfer.finished;
    } catch (err) {
      // The client's own GET will see (and report) the failure; a prefetch only says it in the debug log.
      log.debug({ repository: name, digest: digest.value, err: (err as Error).message }, 'prefetch failed');
    }
  }
}
