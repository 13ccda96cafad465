// The sweep intent: while a collector deletes, the digests it is about to delete are written to one object in the
// store. A writer that makes content reachable (a manifest PUT, a mount) writes its links first and reads the
// intent after: either the intent was written before its links — the writer sees it and fails cleanly — or
// after, and the collector, which re-scans for new links once the intent is written, sees the writer's links
// and spares what they reference. Either way an acknowledged push never loses a blob to a sweep.
import { randomUUID } from 'node:crypto';
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

export class SweepIntent {
  readonly id = randomUUID();
  private readonly path = pathFor({ kind: 'gcSweepIntent' });

  constructor(
    private readonly driver: StorageDriver,
    private readonly digests: readonly string[],
  ) {}

  async write(expiresAt: number): Promise<void> {
    const body: IntentBody = { id: this.id, expiresAt, digests: [...this.digests] };
    await this.driver.putContent(this.path, Buffer.from(JSON.stringify(body)));
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
}
