// The sweep intent: while a collector deletes, the digests it is about to delete are written to one object in the
// store. A writer that makes content reachable (a manifest PUT, a mount) writes its links first and reads the
// intent after: either the intent was written before its links — the writer sees it and fails cleanly — or
// after, and the collector, which re-scans for new links once the intent is written, sees the writer's links
// and spares what they reference. Either way an acknowledged push never loses a blob to a sweep.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { deleteIfPresent } from '../services/link-files.js';

interface IntentBody {
  id: string;
  /** An intent whose sweeper stopped renewing it is ignored after this time (ms since the epoch). */
  expiresAt: number;
  digests: string[];
}

/** How a tag retention is deleting is named in the intent (digests never contain a space). */
export function sweptTagKey(repository: string, tag: string): string {
  return `tag ${repository}:${tag}`;
}

export class SweepIntent {
  readonly id = randomUUID();
  private readonly path = pathFor({ kind: 'gcSweepIntent' });

  /** Digest → deletions still to do under it (a manifest's body is both a revision and a blob). */
  private readonly remaining = new Map<string, number>();
  private writtenAt = 0;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly driver: StorageDriver,
    digests: readonly string[],
  ) {
    for (const digest of digests) this.remaining.set(digest, (this.remaining.get(digest) ?? 0) + 1);
  }

  async write(expiresAt: number): Promise<void> {
    const body: IntentBody = { id: this.id, expiresAt, digests: [...this.remaining.keys()] };
    await this.driver.putContent(this.path, Buffer.from(JSON.stringify(body)));
    this.writtenAt = Date.now();
  }

  /** One deletion under `digest` is dealt with (done or spared); when none is left, writers waiting for it go on. */
  done(digest: string): void {
    const left = (this.remaining.get(digest) ?? 1) - 1;
    if (left > 0) this.remaining.set(digest, left);
    else this.remaining.delete(digest);
  }

  /** Rewrites the intent with what remains when the last write is older than `everyMs` (renews its expiry too). */
  async refresh(expiresAt: number, everyMs = 500): Promise<void> {
    if (this.writing !== undefined) return this.writing;
    if (Date.now() - this.writtenAt < everyMs) return;
    this.writing = this.write(expiresAt).finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  async clear(): Promise<void> {
    await deleteIfPresent(this.driver, this.path);
  }
}

/** What writers ask: is any of these digests about to be deleted? One small read; nothing is cached. */
export class SweepGuard {
  private readonly path = pathFor({ kind: 'gcSweepIntent' });

  constructor(
    private readonly driver: StorageDriver,
    private readonly now: () => number = Date.now,
  ) {}

  /** The digests among `digests` a live sweep intends to delete (empty: none, or no sweep). */
  async conflicts(digests: readonly string[]): Promise<string[]> {
    let body: IntentBody;
    try {
      body = JSON.parse((await this.driver.getContent(this.path)).toString('utf8')) as IntentBody;
    } catch (err) {
      if (isPathNotFound(err) || err instanceof SyntaxError) return [];
      throw err;
    }
    if (typeof body.expiresAt !== 'number' || body.expiresAt < this.now() || !Array.isArray(body.digests)) return [];
    const doomed = new Set(body.digests);
    return digests.filter((d) => doomed.has(d));
  }

  /**
   * Waits (up to `maxWaitMs`) until the sweep has dealt with every one of `digests` it intends to delete: the
   * collector takes digests off the intent as it deletes or spares them. `waited` says whether there was a
   * sweep to wait for: the caller must then check again that what it needs still exists.
   */
  async settle(digests: readonly string[], maxWaitMs: number): Promise<{ doomed: string[]; waited: boolean }> {
    let doomed = await this.conflicts(digests);
    if (doomed.length === 0) return { doomed, waited: false };
    const deadline = this.now() + maxWaitMs;
    while (doomed.length > 0 && this.now() < deadline) {
      await sleep(SETTLE_POLL_MS);
      doomed = await this.conflicts(doomed);
    }
    return { doomed, waited: true };
  }
}

const SETTLE_POLL_MS = 200;
