// Storage in an S3 bucket (AWS, or an S3-compatible store such as MinIO), laid out as distribution's
// s3 driver lays it out (rootdirectory + path), so a registry:2 bucket is served as it is.
// S3 has no directories: a directory is a key prefix with at least one object under it.
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { FileInfo, StorageDriver, StorageWriter, WalkOptions } from '../storage-driver.js';
import { InvalidOffsetError, PathNotFoundError } from '../storage-errors.js';
import { checkPath, isStorageName } from '../storage-path.js';
import { S3Bucket } from './s3-bucket.js';
import { createS3Client, DEFAULT_TUNING, type S3ClientTuning } from './s3-client.js';
import { S3ObjectReader } from './s3-object-reader.js';
import { toS3StorageError } from './s3-errors.js';
import type { S3Settings } from './s3-settings.js';
import { S3Writer } from './s3-writer.js';
import { abortIncompleteUploads } from './s3-incomplete-uploads.js';

/** How long a redirect URL stays valid (distribution's choice). */
const REDIRECT_EXPIRY_SECONDS = 20 * 60;

export interface S3DriverOptions {
  settings: S3Settings;
  /** storage.redirect.disable: serve blobs through the registry instead of redirecting to S3. */
  redirectDisabled: boolean;
  tuning?: S3ClientTuning;
}

export class S3Driver implements StorageDriver {
  readonly name = 's3';
  /** walkFiles is a flat LIST: 1000 keys with their sizes and LastModified per request. */
  readonly listsWithTimes = true;
  readonly #bucket: S3Bucket;
  readonly #redirect: boolean;

  constructor(options: S3DriverOptions) {
    const { settings } = options;
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    const client = createS3Client(settings, tuning);
    this.#bucket = new S3Bucket(this.name, client, settings, new S3ObjectReader(client, settings.bucket, tuning, !settings.skipVerify));
    this.#redirect = !options.redirectDisabled;
  }

  async getContent(path: string): Promise<Buffer> {
    const p = checkPath(this.name, path);
    const body = await this.#bucket.get(p);
    if (body === 'unsatisfiable') return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body) chunks.push(chunk as Buffer);
    } catch (err) {
      throw toS3StorageError(this.name, p, 'GetObject', err);
    }
    return Buffer.concat(chunks);
  }

  /** A single PutObject: S3 replaces an object atomically. */
  async putContent(path: string, content: Uint8Array): Promise<void> {
    await this.#bucket.put(checkPath(this.name, path), content);
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const p = checkPath(this.name, path);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidOffsetError(this.name, p, offset);
    if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
      throw new RangeError(`${this.name}: invalid length ${length} for ${p}`);
    }
    if (length === 0) {
      // Nothing to read, but the file and the offset must still be valid.
      await this.#sizeFor(p, offset);
      return Readable.from([], { objectMode: false });
    }
    const end = length === undefined ? undefined : offset + length - 1;
    const body = await this.#bucket.get(p, offset === 0 && end === undefined ? undefined : { start: offset, ...(end === undefined ? {} : { end }) });
    if (body !== 'unsatisfiable') return body;
    // A range from the very end is a valid, empty read; one past the end is not.
    await this.#sizeFor(p, offset);
    return Readable.from([], { objectMode: false });
  }

  async writer(path: string, append: boolean): Promise<StorageWriter> {
    return S3Writer.open(this.#bucket, checkPath(this.name, path), append);
  }

  /** A multipart upload (or one PutObject) straight to `path`: nothing is visible there before commit. */
  async stagedWriter(path: string): Promise<StorageWriter> {
    return S3Writer.staged(this.#bucket, checkPath(this.name, path));
  }

  async stat(path: string): Promise<FileInfo> {
    const p = checkPath(this.name, path);
    const file = await this.#bucket.head(p);
    if (file !== undefined) return { path: p, size: file.size, modTime: file.modTime, isDir: false };
    // A directory's time is that of one object under it (the first by key): S3 keeps none of its own.
    const inside = await this.#bucket.firstUnder(p, `${this.#bucket.keyFor(p)}/`);
    if (inside === undefined) throw new PathNotFoundError(this.name, p);
    return { path: p, size: 0, modTime: inside.modTime, isDir: true };
  }

  async list(path: string): Promise<string[]> {
    const p = checkPath(this.name, path, true);
    const entries = await this.#children(p);
    if (entries.length === 0 && p !== '/') throw new PathNotFoundError(this.name, p);
    return entries.map((e) => e.path);
  }

  /** Copy, then delete the source: the destination changes atomically (old or new content), as S3 copies do. */
  async move(source: string, dest: string): Promise<void> {
    const from = checkPath(this.name, source);
    const to = checkPath(this.name, dest);
    const info = await this.#bucket.head(from);
    if (info === undefined) throw new PathNotFoundError(this.name, from);
    // S3 refuses to copy an object onto itself unchanged; a rename onto itself is a no-op.
    if (from === to) return;
    await this.#bucket.copy(from, to, info.size);
    await this.#bucket.deleteKey(from);
  }

  /** A file, or every object under a prefix (in batches of 1000): what "a directory tree" is in a bucket. */
  async delete(path: string): Promise<void> {
    const p = checkPath(this.name, path, true);
    const key = this.#bucket.keyFor(p);
    const [file, inside] = await Promise.all([p === '/' ? undefined : this.#bucket.head(p), this.#deleteUnder(p, p === '/' ? key : `${key}/`)]);
    if (file !== undefined) await this.#bucket.deleteKey(p);
    if (file === undefined && inside === 0) throw new PathNotFoundError(this.name, p);
  }

  /** A presigned GET URL, unless redirects are disabled; HEAD is always answered by the registry itself. */
  purgeIncompleteWrites(olderThanMs: number, dryRun: boolean): Promise<number | 'unsupported'> {
    return abortIncompleteUploads(this.#bucket, olderThanMs, dryRun);
  }

  async redirectUrl(path: string, method: 'GET' | 'HEAD'): Promise<string | null> {
    const p = checkPath(this.name, path);
    if (!this.#redirect || method !== 'GET') return null;
    try {
      return await getSignedUrl(this.#bucket.client, new GetObjectCommand({ Bucket: this.#bucket.name, Key: this.#bucket.keyFor(p) }), {
        expiresIn: REDIRECT_EXPIRY_SECONDS,
      });
    } catch (err) {
      throw toS3StorageError(this.name, p, 'presign GetObject', err);
    }
  }

  async walk(path: string, visit: (info: FileInfo) => void | Promise<void>, options: WalkOptions = {}): Promise<void> {
    const p = checkPath(this.name, path, true);
    const top = await this.#children(p);
    if (top.length === 0 && p !== '/') throw new PathNotFoundError(this.name, p);
    await this.#walkEntries(top, visit, options);
  }

  async walkFiles(path: string, visit: (info: FileInfo) => void | Promise<void>): Promise<void> {
    const p = checkPath(this.name, path, true);
    const prefix = p === '/' ? this.#bucket.rootPrefix : `${this.#bucket.keyFor(p)}/`;
    const base = p === '/' ? '' : p;
    for await (const page of this.#bucket.listPages(p, prefix)) {
      for (const object of page.objects) {
        const name = object.key.slice(prefix.length);
        if (!name.split('/').every(isStorageName)) continue;
        await visit({ path: `${base}/${name}`, size: object.size, modTime: object.modTime, isDir: false });
      }
    }
  }

  async #walkEntries(entries: FileInfo[], visit: (info: FileInfo) => void | Promise<void>, options: WalkOptions): Promise<void> {
    for (const info of entries) {
      await visit(info);
      if (info.isDir && (options.enterDir === undefined || (await options.enterDir(info)))) {
        // Listed when its turn comes: a visitor may have removed it (then it simply has no children).
        await this.#walkEntries(await this.#children(info.path), visit, options);
      }
    }
  }

  /**
   * The direct children of a directory from one delimited listing (paginated), sorted: files with their
   * size and time, sub-directories (common prefixes) with size 0. S3 keeps no time for a prefix, and
   * finding one would cost a request per directory: a directory listed here carries the listing's time,
   * which never makes it look old to age-based cleanup. stat() gives a stored time.
   */
  async #children(dir: string): Promise<FileInfo[]> {
    const prefix = dir === '/' ? this.#bucket.rootPrefix : `${this.#bucket.keyFor(dir)}/`;
    const base = dir === '/' ? '' : dir;
    const now = new Date();
    const entries = new Map<string, FileInfo>();
    for await (const page of this.#bucket.listPages(dir, prefix, '/')) {
      for (const object of page.objects) {
        const name = object.key.slice(prefix.length);
        // "dir/" marker objects (made by consoles and some tools) and names no path can address are skipped.
        if (!isStorageName(name)) continue;
        entries.set(name, { path: `${base}/${name}`, size: object.size, modTime: object.modTime, isDir: false });
      }
      for (const common of page.prefixes) {
        const name = common.slice(prefix.length, -1);
        if (!isStorageName(name) || entries.has(name)) continue;
        entries.set(name, { path: `${base}/${name}`, size: 0, modTime: now, isDir: true });
      }
    }
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Deletes every object whose key starts with `prefix`, page by page; returns how many there were. */
  async #deleteUnder(path: string, prefix: string): Promise<number> {
    let count = 0;
    for await (const page of this.#bucket.listPages(path, prefix)) {
      const keys = page.objects.map((o) => o.key);
      count += keys.length;
      if (keys.length === 1) await this.#bucket.deleteKey(this.#bucket.pathOf(keys[0] as string), keys[0]);
      else if (keys.length > 1) await this.#bucket.deleteKeys(path, keys);
    }
    return count;
  }

  /** The size of the file, checking that `offset` lies within it. */
  async #sizeFor(path: string, offset: number): Promise<number> {
    const info = await this.#bucket.head(path);
    if (info === undefined) throw new PathNotFoundError(this.name, path);
    if (offset > info.size) throw new InvalidOffsetError(this.name, path, offset);
    return info.size;
  }
}
