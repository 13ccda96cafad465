// Every repository name, kept in memory for the filter on the repositories page: matching a substring needs
// every name, and walking a catalog of 10,000 directories costs hundreds of milliseconds, too slow per keystroke.
// The list is read at most every NAMES_TTL_MS; a stale list answers while the fresh one is read, so only the
// first filter after a start waits for the walk.
import type { Catalog } from '../services/catalog.js';

/** How old the list may get before it is read again (a new repository appears in filter results this late). */
export const NAMES_TTL_MS = 15_000;

export class RepositoryNames {
  private current: { at: number; names: string[] } | undefined;
  private reading: Promise<string[]> | undefined;

  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every repository name, sorted, at most NAMES_TTL_MS old (plus one read). */
  async all(): Promise<string[]> {
    const current = this.current;
    if (current !== undefined && this.now() - current.at < NAMES_TTL_MS) return current.names;
    const reading = this.refresh();
    return current === undefined ? reading : current.names;
  }

  /** Starts the first read if none was made (the repositories page does, so the first keystroke finds the names). */
  warm(): void {
    if (this.current === undefined) void this.refresh().catch(() => undefined);
  }

  private refresh(): Promise<string[]> {
    if (this.reading === undefined) {
      const started = this.now();
      this.reading = this.catalog.repositories().then(
        (names) => {
          this.current = { at: started, names };
          return names;
        },
      ).finally(() => {
        this.reading = undefined;
      });
      // A failed background read is retried by the next call; the stale list keeps answering meanwhile.
      this.reading.catch(() => undefined);
    }
    return this.reading;
  }
}
