// The htpasswd user store (`auth.htpasswd.path`): bcrypt lines read at startup, re-read when the file
// changes (no restart), verified off the event loop with a cache of accepted pairs. A file that breaks
// after startup keeps the users last read, with a warning that names the line.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isErrnoError, sleep, type Logger } from '@private-registry/core';
import { invalidConfig } from '../config/config-errors.js';
import { DEFAULT_BCRYPT_COST } from '../config/auth-section.js';
import { VerifiedCredentialCache, type CredentialCacheOptions } from './credential-cache.js';
import { FileChangeWatch, fileSignature, type FileChangeWatchOptions } from './file-change-watch.js';
import { HtpasswdLineError, parseHtpasswd, type HtpasswdEntry } from './htpasswd-parse.js';
import { bcryptCostOf, hashPassword, verifyPassword } from './password-hash.js';

const CONFIG_KEY = 'auth.htpasswd.path';
const EMPTY_FILE_RECHECK_MS = 100;

export interface HtpasswdFileOptions extends FileChangeWatchOptions {
  /** The verified-pair cache (5 minutes, 10 000 pairs unless told). */
  cache?: CredentialCacheOptions;
}

export interface HtpasswdReload {
  /** The new generation number. */
  generation: number;
  users: string[];
}

export type HtpasswdReloadListener = (reload: HtpasswdReload) => void;

export class HtpasswdFile {
  private entries: Map<string, HtpasswdEntry>;
  private text: string;
  private gen = 1;
  private dummyHash: string;
  private readonly cache: VerifiedCredentialCache;
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly listeners = new Set<HtpasswdReloadListener>();
  private readonly watch: FileChangeWatch;
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private bcryptCalls = 0;

  /** Reads `path` (a missing or broken file is a CONFIG_INVALID error naming file and line) and watches it. */
  static async open(path: string, log: Logger, options: HtpasswdFileOptions = {}): Promise<HtpasswdFile> {
    const signature = await fileSignature(path);
    const text = await readStartupFile(path);
    let entries: Map<string, HtpasswdEntry>;
    try {
      entries = parseHtpasswd(text);
    } catch (err) {
      if (err instanceof HtpasswdLineError) throw invalidConfig(CONFIG_KEY, `${path}:${err.line}: ${err.problem}`);
      throw err;
    }
    const dummyHash = await hashPassword(randomBytes(16).toString('base64'), typicalCost(entries));
    return new HtpasswdFile(path, log, options, { entries, text, signature, dummyHash });
  }

  private constructor(
    readonly path: string,
    private readonly log: Logger,
    options: HtpasswdFileOptions,
    initial: { entries: Map<string, HtpasswdEntry>; text: string; signature: string; dummyHash: string },
  ) {
    this.entries = initial.entries;
    this.text = initial.text;
    this.dummyHash = initial.dummyHash;
    this.cache = new VerifiedCredentialCache(options.cache);
    this.watch = new FileChangeWatch(path, initial.signature, () => void this.reload(), options);
    if (this.entries.size === 0) log.warn({ path }, 'htpasswd file has no users: every login will be refused');
  }

  /** Changes each time a reload changed the users or their hashes. */
  get generation(): number {
    return this.gen;
  }

  /** How many bcrypt verifications ran (unknown users included), for metrics and tests of the cache. */
  get bcryptVerifications(): number {
    return this.bcryptCalls;
  }

  has(user: string): boolean {
    return this.entries.has(user);
  }

  /** User names in file order. */
  users(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * True when `password` is `user`'s. An unknown user still costs one bcrypt (against a dummy hash), so the
   * time taken does not tell which users exist. Accepted pairs are cached while the user's hash is unchanged;
   * concurrent checks of one pair share one bcrypt.
   */
  async verify(user: string, password: string): Promise<boolean> {
    const entry = this.entries.get(user);
    if (entry === undefined) {
      await this.bcrypt(password, this.dummyHash);
      return false;
    }
    const key = this.cache.keyOf(user, password);
    if (this.cache.holds(key, entry.hash)) return true;
    const flightKey = `${key}\0${entry.hash}`;
    let flight = this.inFlight.get(flightKey);
    if (flight === undefined) {
      flight = this.bcrypt(password, entry.hash).then((ok) => {
        if (ok) this.cache.remember(key, entry.hash);
        return ok;
      });
      const shared = flight;
      this.inFlight.set(flightKey, shared);
      void shared.finally(() => this.inFlight.delete(flightKey)).catch(() => undefined);
    }
    return flight;
  }

  /** Calls `listener` after each reload that changed the users; returns a function that removes it. */
  onReload(listener: HtpasswdReloadListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reads the file again now (the watch does this by itself; a SIGHUP handler may call it). Never throws:
   * a missing or broken file keeps the users last read and logs a warning.
   */
  reload(): Promise<void> {
    if (this.reloading !== undefined) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = (async () => {
      do {
        this.reloadAgain = false;
        try {
          await this.readAgain();
        } catch (err) {
          this.log.error({ err, path: this.path }, 'htpasswd reload failed: keeping the users last read');
        }
      } while (this.reloadAgain);
    })().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  close(): void {
    this.watch.close();
    this.listeners.clear();
  }

  private async readAgain(): Promise<void> {
    const signature = await fileSignature(this.path);
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
      // An in-place write truncates first: an empty read while users exist is most likely mid-write.
      if (text === '' && this.entries.size > 0) {
        await sleep(EMPTY_FILE_RECHECK_MS);
        text = await readFile(this.path, 'utf8');
      }
    } catch (err) {
      this.watch.settled(signature);
      // Between an editor's unlink and rename the file is briefly missing: the next event reads it again.
      this.log.warn({ path: this.path, code: (err as NodeJS.ErrnoException).code, users: this.entries.size }, 'htpasswd file cannot be read: keeping the users last read');
      return;
    }
    this.watch.settled(signature);
    if (text === this.text) return;
    this.text = text;
    let entries: Map<string, HtpasswdEntry>;
    try {
      entries = parseHtpasswd(text);
    } catch (err) {
      if (!(err instanceof HtpasswdLineError)) throw err;
      this.log.warn({ path: this.path, line: err.line, users: this.entries.size }, `htpasswd file not reloaded: ${this.path}:${err.line}: ${err.problem}; keeping the users last read`);
      return;
    }
    if (sameEntries(entries, this.entries)) return;
    const cost = typicalCost(entries);
    if (bcryptCostOf(this.dummyHash) !== cost) this.dummyHash = await hashPassword(randomBytes(16).toString('base64'), cost);
    this.entries = entries;
    this.gen += 1;
    this.log.info({ path: this.path, users: entries.size, generation: this.gen }, 'htpasswd file reloaded');
    const reloadEvent: HtpasswdReload = { generation: this.gen, users: this.users() };
    for (const listener of this.listeners) {
      try {
        listener(reloadEvent);
      } catch (err) {
        this.log.error({ err }, 'htpasswd reload listener failed');
      }
    }
  }

  private bcrypt(password: string, hash: string): Promise<boolean> {
    this.bcryptCalls += 1;
    return verifyPassword(password, hash);
  }
}

async function readStartupFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) {
      throw invalidConfig(CONFIG_KEY, `${path}: the file does not exist; create it with \`private-registry user add NAME\` (or \`htpasswd -cB ${path} NAME\`)`);
    }
    const code = isErrnoError(err) ? err.code : String(err);
    throw invalidConfig(CONFIG_KEY, `${path}: cannot read the file (${code})`, { cause: err });
  }
}

/** The cost most users' hashes have, so an unknown user's dummy check takes as long as a real one. */
function typicalCost(entries: Map<string, HtpasswdEntry>): number {
  const counts = new Map<number, number>();
  for (const { hash } of entries.values()) {
    const cost = bcryptCostOf(hash);
    if (cost !== undefined) counts.set(cost, (counts.get(cost) ?? 0) + 1);
  }
  let best = DEFAULT_BCRYPT_COST;
  let bestCount = 0;
  for (const [cost, count] of counts) {
    if (count > bestCount) [best, bestCount] = [cost, count];
  }
  return best;
}

function sameEntries(a: Map<string, HtpasswdEntry>, b: Map<string, HtpasswdEntry>): boolean {
  if (a.size !== b.size) return false;
  for (const [user, entry] of a) if (b.get(user)?.hash !== entry.hash) return false;
  return true;
}
