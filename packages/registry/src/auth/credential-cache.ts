// Remembers user/password pairs that bcrypt has already accepted, so the twenty requests of one pull cost
// one bcrypt. The key is an HMAC under a per-process random key (never the password, nor a plain hash an
// offline attack could use); an entry holds the hash it was verified against and counts only while the
// user's hash is still that one, for at most `ttlMs`.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface CredentialCacheOptions {
  /** How long a verified pair is trusted; 5 minutes unless told. */
  ttlMs?: number;
  /** At most this many pairs; the least recently used goes first. 10 000 unless told. */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

interface Entry {
  hash: Buffer;
  expiresAt: number;
}

export const DEFAULT_CREDENTIAL_TTL_MS = 5 * 60_000;
export const DEFAULT_CREDENTIAL_CACHE_SIZE = 10_000;

export class VerifiedCredentialCache {
  private readonly hmacKey = randomBytes(32);
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_CREDENTIAL_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_CREDENTIAL_CACHE_SIZE;
    this.now = options.now ?? Date.now;
  }

  /** The cache key of a pair. User names hold no NUL, so "user\0password" is unambiguous. */
  keyOf(user: string, password: string): string {
    return createHmac('sha256', this.hmacKey).update(user).update('\0').update(password).digest('base64url');
  }

  /** True when the pair under `key` was verified against `currentHash` and has not expired. */
  holds(key: string, currentHash: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return false;
    }
    const current = Buffer.from(currentHash);
    if (current.length !== entry.hash.length || !timingSafeEqual(current, entry.hash)) {
      this.entries.delete(key);
      return false;
    }
    // Most recently used last: Map keeps insertion order, so eviction takes the first key.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return true;
  }

  remember(key: string, verifiedHash: string): void {
    this.entries.delete(key);
    this.entries.set(key, { hash: Buffer.from(verifiedHash), expiresAt: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
