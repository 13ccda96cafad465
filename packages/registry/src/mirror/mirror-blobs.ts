// At most one upstream download per blob digest, whoever asks: the first request for a missing blob starts a
// BlobTransfer, every request for the same digest while it runs joins it (even before the upstream has
// answered), and once it completes the spool is committed into storage, verified again by the upload store,
// and linked into every repository that asked. Then the transfer is forgotten and the blob is served from storage.
// Across workers the primary decides who downloads (WorkerFlights); across replicas, etcd (ReplicaFlights): a
// replica that finds another one downloading waits until it stored the blob ('stored'), then serves it from storage.

import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@private-registry/core';
import type { Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { BlobStore } from '../services/blob-store.js';
import type { UploadStore } from '../services/upload-store.js';
import { BlobTransfer } from './blob-transfer.js';
import type { SpoolFile } from './spool-file.js';
import type { WorkerFlights } from './worker-flights.js';
import type { ReplicaFlights } from './replica-flights.js';
import type { MirrorStats } from './mirror-stats.js';
import type { RepositoryOrigins } from './repository-origins.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamRoute } from './upstream-router.js';

/** A download under way here or in another worker, or `'stored'`: another replica stored the blob meanwhile. */
export type Transfer = SpoolFile | 'stored';

interface Running {
  transfer: Promise<Transfer>;
  /** Repositories to link the blob into once it is stored. */
  names: Set<string>;
  /** Ends this replica's claim on the digest (ReplicaFlights), once the blob is stored or the download failed. */
  release?: () => Promise<void>;
}

export interface MirrorBlobsOptions {
  /**
   * Set when the spool directory is inside the storage (the filesystem driver): spool files are then the
   * storage paths `<spoolStoragePrefix>/<file>`, and a verified download is renamed into place, not copied.
   */
  spoolStoragePrefix?: string;
  driver: StorageDriver;
  uploads: UploadStore;
  blobs: BlobStore;
  origins: RepositoryOrigins;
  spoolDir: string;
  stats: MirrorStats;
  log: Logger;
  /** Under http.workers: downloads are claimed from the primary, so one worker downloads and the others follow. */
  flights?: WorkerFlights;
  /** With proxy.etcd: downloads are claimed in etcd, so one replica downloads and the others wait for the store. */
  replicas?: ReplicaFlights;
}

export class MirrorBlobs {
  private readonly running = new Map<string, Running>();
  /** The spool directory, made once (a failed attempt is retried by the next download). */
  private spoolReady: Promise<void> | undefined;

  constructor(private readonly options: MirrorBlobsOptions) {}

  /**
   * Removes spool files a crashed process left behind. Only old ones: replicas sharing a filesystem root share
   * the spool directory, and another one's download under way is never older than this.
   */
  async sweepStaleSpools(olderThanMs = 6 * 3_600_000): Promise<number> {
    let removed = 0;
    const entries = await readdir(this.options.spoolDir).catch(() => [] as string[]);
    for (const entry of entries) {
      const path = join(this.options.spoolDir, entry);
      const info = await stat(path).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > olderThanMs) {
        await rm(path, { force: true });
        removed += 1;
      }
    }
    if (removed > 0) this.options.log.info({ removed, dir: this.options.spoolDir }, 'removed stale mirror spool files');
    return removed;
  }

  /** How many downloads are under way (for /debug/vars and tests). */
  get inFlight(): number {
    return this.running.size;
  }

  /**
   * The download of `digest` under way, or a new one from `route`. Resolves once the upstream answered.
   * `ahead`: asked by the prefetcher, not by a client (counted as prefetched, not as a miss or a join).
   * `again`: a request already counted, asking once more.
   */
  async transfer(name: string, route: UpstreamRoute, digest: Digest, ahead = false, again = false): Promise<Transfer> {
    const existing = this.running.get(digest.value);
    if (existing !== undefined) {
      existing.names.add(name);
      if (!ahead && !again) this.options.stats.coalesced += 1;
      return existing.transfer;
    }
    const running: Running = { transfer: Promise.resolve('stored'), names: new Set([name]) };
    running.transfer = this.begin(running, route, digest, ahead, again);
    this.running.set(digest.value, running);
    running.transfer.then(
      (transfer) => void (transfer instanceof BlobTransfer ? this.finish(transfer, running, route) : this.follow(transfer, digest, running, route)),
      () => this.running.delete(digest.value),
    );
    return running.transfer;
  }

  /**
   * A download of this process; or one another worker leads, followed from its spool; or 'stored' when another
   * replica downloaded the blob while this one waited.
   */
  private async begin(running: Running, route: UpstreamRoute, digest: Digest, ahead: boolean, again: boolean): Promise<Transfer> {
    const { flights, stats } = this.options;
    if (flights !== undefined) {
      const claim = await flights.claim(digest);
      if (!claim.lead) {
        if (!ahead && !again) stats.coalesced += 1;
        return claim.transfer;
      }
    }
    try {
      if ((await this.claimAcrossReplicas(running, digest)) === 'stored') {
        if (!ahead && !again) stats.replicaWaits += 1;
        flights?.ended(digest, 0);
        return 'stored';
      }
      if (ahead) stats.prefetched += 1;
      else stats.misses += 1;
      const transfer = await this.start(route, digest);
      flights?.lead(transfer);
      return transfer;
    } catch (err) {
      await running.release?.();
      flights?.ended(digest, 0, err);
      throw err;
    }
  }

  /**
   * With replicas: claims the digest (then `running.release` ends the claim), or waits while another replica
   * downloads it and returns 'stored' when that one stored it. A claimant that failed or died: claims again.
   */
  private async claimAcrossReplicas(running: Running, digest: Digest): Promise<'claimed' | 'stored'> {
    const { replicas, blobs } = this.options;
    if (replicas === undefined) return 'claimed';
    for (;;) {
      const claim = await replicas.claim(digest);
      if (claim.lead) {
        running.release = claim.release;
        // Another replica may have stored it between our look in storage and the claim.
        if ((await blobs.statGlobal(digest)) === null) return 'claimed';
        await claim.release();
        running.release = undefined;
        return 'stored';
      }
      if ((await blobs.statGlobal(digest)) !== null) return 'stored';
    }
  }

  /** Another worker's download, or another replica's: once stored, the blob is linked into the repositories that asked here. */
  private async follow(transfer: SpoolFile | 'stored', digest: Digest, running: Running, route: UpstreamRoute): Promise<void> {
    try {
      if (transfer !== 'stored') await transfer.finished;
      for (const name of running.names) {
        await this.options.origins.markMirrored(name, route.client.name);
        await this.options.blobs.link(name, digest);
      }
    } catch (err) {
      this.options.log.debug({ digest: digest.value, err: (err as Error).message }, 'followed mirror download failed');
    } finally {
      this.running.delete(digest.value);
    }
  }

  private async start(route: UpstreamRoute, digest: Digest): Promise<BlobTransfer> {
    const response = await route.client.request({ method: 'GET', remoteName: route.remoteName, path: `blobs/${digest.value}` });
    if (response.body === null) throw new UpstreamError('UPSTREAM_FAILED', `${route.client.name} sent no body for ${digest.value}`);
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    this.spoolReady ??= mkdir(this.options.spoolDir, { recursive: true }).then(
      () => undefined,
      (err: unknown) => {
        this.spoolReady = undefined;
        throw err;
      },
    );
    await this.spoolReady;
    const spool = join(this.options.spoolDir, `${digest.hex}.${randomUUID()}`);
    const size = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
    return BlobTransfer.start(digest, spool, size, response.body, {
      onBytes: (bytes) => {
        this.options.stats.upstreamBytes += bytes;
      },
      syncOnComplete: this.options.spoolStoragePrefix !== undefined,
    });
  }

  private async finish(transfer: BlobTransfer, running: Running, route: UpstreamRoute): Promise<void> {
    const { uploads, blobs, origins, log } = this.options;
    try {
      await transfer.finished;
      const names = [...running.names];
      const prefix = this.options.spoolStoragePrefix;
      /** Repositories still to link: the upload store links the one it commits for. */
      let toLink = names;
      if (prefix !== undefined) {
        // Verified and fsynced: the spool becomes the blob by one rename (readers keep their open files).
        if ((await blobs.statGlobal(transfer.digest)) === null) {
          await this.options.driver.move(`${prefix}/${basename(transfer.spoolPath)}`, pathFor({ kind: 'blobData', digest: transfer.digest }));
        }
      } else if (names[0] !== undefined) {
        await origins.markMirrored(names[0], route.client.name);
        // Large reads: the spool is in the page cache, and the upload path batches its writes anyway.
        await uploads.uploadWhole(names[0], transfer.digest, createReadStream(transfer.spoolPath, { highWaterMark: 1024 * 1024 }));
        toLink = names.slice(1);
      }
      for (const name of toLink) {
        await origins.markMirrored(name, route.client.name);
        await blobs.link(name, transfer.digest);
      }
      log.info({ digest: transfer.digest.value, bytes: transfer.written, upstream: route.client.name, repositories: running.names.size }, 'mirror cached a blob');
      this.options.flights?.ended(transfer.digest, transfer.written);
    } catch (err) {
      this.options.flights?.ended(transfer.digest, transfer.written, err);
      log.warn({ digest: transfer.digest.value, upstream: route.client.name, err: (err as Error).message, code: (err as { code?: string }).code }, 'mirror download failed; nothing cached');
    } finally {
      // Forget the transfer only once the blob is in storage: a request in between still joins it.
      this.running.delete(transfer.digest.value);
      await running.release?.();
      await transfer.removeSpool();
    }
  }
}
