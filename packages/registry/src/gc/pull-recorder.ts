// When each manifest was last pulled from each repository, for retention's keeppulledwithin. A pull only
// updates memory; the times are written to the store (`/private-registry/pulls/<repository>/<digest>`, so every
// replica's collector sees them) in one batch every `flushEveryMs`, at most once per manifest per batch, and on
// shutdown. A pull therefore costs no synchronous storage write; a crash loses at most one batch of times.
import type { Logger } from '@private-registry/core';
import { parseDigest, type Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { forEachLimited } from './store-inventory.js';

const DEFAULT_FLUSH_EVERY_MS = 60_000;
/** Past this many distinct manifests pulled in one batch, the batch is written early (bounded memory). */
const MAX_PENDING = 10_000;

export class PullRecorder {
  private pending = new Map<string, { name: string; digest: Digest; at: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly driver: StorageDriver,
    private readonly log: Logger,
    flushEveryMs = DEFAULT_FLUSH_EVERY_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  /** Notes a pull of `name@digest` (no I/O). */
  record(name: string, digest: Digest): void {
    this.pending.set(`${name}@${digest.value}`, { name, digest, at: this.now() });
    if (this.pending.size >= MAX_PENDING) void this.flush();
  }

  /** When `name@digest` was pulled, if that is still waiting for the next batch (milliseconds since the epoch). */
  pendingTime(name: string, digest: Digest): number | undefined {
    return this.pending.get(`${name}@${digest.value}`)?.at;
  }

  /** Writes the batch; failures are logged and the times kept for the next batch. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      await forEachLimited(batch, 8, async (entry) => {
        try {
          await this.driver.putContent(pathFor({ kind: 'pullRecord', name: entry.name, digest: entry.digest }), Buffer.from(new Date(entry.at).toISOString()));
        } catch (err) {
          const key = `${entry.name}@${entry.digest.value}`;
          if (!this.pending.has(key)) this.pending.set(key, entry);
          this.log.warn({ err, repository: entry.name }, 'pull time not recorded (retried with the next batch)');
        }
      });
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** The recorded last pull of `name@digest` (ms since the epoch), or undefined. */
export async function readPullTime(driver: StorageDriver, name: string, digest: string): Promise<number | undefined> {
  try {
    const text = (await driver.getContent(pathFor({ kind: 'pullRecord', name, digest: parseDigest(digest) }))).toString('utf8');
    const at = Date.parse(text);
    return Number.isFinite(at) ? at : undefined;
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
}
