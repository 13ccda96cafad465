// When each mirrored manifest revision was last pulled: what least-recently-pulled eviction orders by. Kept in
// memory and written to storage (`_mirror/accessed/<digest>`) at most once per `persistEveryMs` per revision,
// so a pull costs no storage write most of the time and a restart loses at most that much recency.

import type { Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';

const DEFAULT_PERSIST_EVERY_MS = 10 * 60_000;

export class PullLedger {
  private readonly lastPull = new Map<string, number>();
  private readonly lastPersisted = new Map<string, number>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly now: () => number = Date.now,
    private readonly persistEveryMs = DEFAULT_PERSIST_EVERY_MS,
  ) {}

  /** Records a pull of `name@digest`; writes it down when the stored time is old enough. */
  async touch(name: string, digest: Digest): Promise<void> {
    const key = `${name}@${digest.value}`;
    const now = this.now();
    this.lastPull.set(key, now);
    const persisted = this.lastPersisted.get(key);
    if (persisted !== undefined && now - persisted < this.persistEveryMs) return;
    this.lastPersisted.set(key, now);
    await this.driver.putContent(pathFor({ kind: 'mirrorAccess', name, digest }), Buffer.from(new Date(now).toISOString()));
  }

  /** The last pull of `name@digest`, or `fallback` (e.g. when it was cached) when it was never recorded. */
  async lastPulled(name: string, digest: Digest, fallback: number): Promise<number> {
    const inMemory = this.lastPull.get(`${name}@${digest.value}`);
    if (inMemory !== undefined) return inMemory;
    try {
      const text = (await this.driver.getContent(pathFor({ kind: 'mirrorAccess', name, digest }))).toString('utf8');
      const at = Date.parse(text);
      return Number.isFinite(at) ? at : fallback;
    } catch (err) {
      if (isPathNotFound(err)) return fallback;
      throw err;
    }
  }

  forget(name: string, digest: Digest): void {
    const key = `${name}@${digest.value}`;
    this.lastPull.delete(key);
    this.lastPersisted.delete(key);
  }
}
