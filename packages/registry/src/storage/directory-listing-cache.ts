// Remembers directory listings, trusted only while the directory's mtime is unchanged: one stat
// instead of a readdir on hot listings (tags/list). Like git's "racy" index check, a listing is kept
// only once the mtime is older than the clock's coarse granularity allows for, so an entry added in
// the same timestamp tick as the listing is never missed.
import { statSync } from 'node:fs';

/** File timestamps advance in jiffies; two seconds is far beyond any tick. */
const SETTLED_NS = 2_000_000_000n;
const MAX_ENTRIES = 4096;

interface Listing {
  mtimeNs: bigint;
  names: string[];
}

export class DirectoryListingCache {
  private readonly listings = new Map<string, Listing>();

  /** The cached names of `dir` if it has not changed since, else null (stat errors propagate). */
  lookup(dir: string): string[] | null {
    const cached = this.listings.get(dir);
    if (!cached) return null;
    const { mtimeNs } = statSync(dir, { bigint: true });
    if (mtimeNs === cached.mtimeNs) return cached.names;
    this.listings.delete(dir);
    return null;
  }

  /** Keeps `names` for `dir` when its mtime has settled; `mtimeNs` must be read before the readdir. */
  remember(dir: string, mtimeNs: bigint, names: string[]): void {
    const now = BigInt(Date.now()) * 1_000_000n;
    if (now - mtimeNs < SETTLED_NS) return;
    if (this.listings.size >= MAX_ENTRIES) {
      const oldest = this.listings.keys().next().value;
      if (oldest !== undefined) this.listings.delete(oldest);
    }
    this.listings.set(dir, { mtimeNs, names });
  }
}
