// A bounded cache of manifest bodies by digest. Content under a digest never changes, so serving
// it from memory is safe on every replica; whether a repository still links it is always re-read.
import type { ParsedManifest } from '../oci/manifest.js';

export interface CachedManifest {
  content: Buffer;
  mediaType: string;
  parsed: ParsedManifest;
}

export class ManifestCache {
  private readonly entries = new Map<string, CachedManifest>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(digest: string): CachedManifest | undefined {
    const entry = this.entries.get(digest);
    if (entry) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(digest);
      this.entries.set(digest, entry);
    }
    return entry;
  }

  set(digest: string, entry: CachedManifest): void {
    if (entry.content.length > this.maxBytes) return;
    this.delete(digest);
    this.entries.set(digest, entry);
    this.bytes += entry.content.length;
    for (const [key, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= old.content.length;
    }
  }

  delete(digest: string): void {
    const old = this.entries.get(digest);
    if (old) {
      this.entries.delete(digest);
      this.bytes -= old.content.length;
    }
  }
}
