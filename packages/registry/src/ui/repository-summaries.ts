// A repository as the repositories page lists it: tag count, total size (each distinct blob once) and last push.
// Computed from its tags and the per-digest image summaries, and kept for a short while: a page of 50
// repositories shown again within SUMMARY_TTL_MS costs no storage request at all.
import { forEachLimited } from '../gc/store-inventory.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { ImageSummaries } from './image-summaries.js';
import { listTagEntries } from './repository-tags.js';

export interface RepositorySummary {
  tags: number;
  size: number;
  lastPush?: Date;
}

/** How long a summary is shown before it is computed again (a push shows up at most this late). */
export const SUMMARY_TTL_MS = 15_000;
const MAX_ENTRIES = 5_000;
/** Manifests summarised at once for one repository (a store of thousands of tags is not asked all at once). */
export const SUMMARY_CONCURRENCY = 16;

export class RepositorySummaries {
  private readonly entries = new Map<string, { at: number; summary: Promise<RepositorySummary> }>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly images: ImageSummaries,
    private readonly now: () => number = Date.now,
  ) {}

  get(name: string): Promise<RepositorySummary> {
    const cached = this.entries.get(name);
    if (cached !== undefined && this.now() - cached.at < SUMMARY_TTL_MS) return cached.summary;
    const summary = this.compute(name);
    this.entries.delete(name);
    this.entries.set(name, { at: this.now(), summary });
    summary.catch(() => this.entries.delete(name));
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return summary;
  }

  /** Forgets `name` (after a delete through the UI, so the next list shows it at once). */
  forget(name: string): void {
    this.entries.delete(name);
  }

  private async compute(name: string): Promise<RepositorySummary> {
    const tags = (await listTagEntries(this.driver, name)) ?? [];
    const digests = new Map(tags.map((t) => [t.digest.value, t.digest]));
    const parts = new Map<string, number>();
    await forEachLimited([...digests.values()], SUMMARY_CONCURRENCY, async (digest) => {
      const summary = await this.images.get(digest);
      if (summary) for (const [part, size] of summary.parts) parts.set(part, size);
    });
    let lastPush: Date | undefined;
    for (const tag of tags) if (lastPush === undefined || tag.pushed > lastPush) lastPush = tag.pushed;
    let size = 0;
    for (const partSize of parts.values()) size += partSize;
    return { tags: tags.length, size, ...(lastPush ? { lastPush } : {}) };
  }
}
