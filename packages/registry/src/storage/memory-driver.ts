// Storage in process memory (distribution's `inmemory`), for fast unit tests of the services.
// Only files are kept; a directory exists while a file lies under it, as in a bucket.
import { Readable } from 'node:stream';
import type { FileInfo, StorageDriver, StorageWriter, WalkOptions } from './storage-driver.js';
import { InvalidOffsetError, PathNotFoundError, StorageError } from './storage-errors.js';
import { checkPath } from './storage-path.js';

interface StoredFile {
  /** Never mutated once stored: writes replace the whole entry, so readers may share it. */
  data: Buffer;
  modTime: Date;
}

const EMPTY = Buffer.alloc(0);

export class MemoryDriver implements StorageDriver {
  readonly name = 'inmemory';
  readonly #files = new Map<string, StoredFile>();

  async getContent(path: string): Promise<Buffer> {
    return Buffer.from(this.#file(checkPath(this.name, path)).data);
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    this.#files.set(checkPath(this.name, path), { data: Buffer.from(content), modTime: new Date() });
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const p = checkPath(this.name, path);
    const { data } = this.#file(p);
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > data.length) throw new InvalidOffsetError(this.name, p, offset);
    if (length !== undefined && (!Number.isSafeInteger(length) || length < 0)) {
      throw new RangeError(`${this.name}: invalid length ${length} for ${p}`);
    }
    const slice = data.subarray(offset, length === undefined ? data.length : Math.min(data.length, offset + length));
    return Readable.from(slice.length > 0 ? [slice] : [], { objectMode: false });
  }

  async writer(path: string, append: boolean): Promise<StorageWriter> {
    const p = checkPath(this.name, path);
    const existing = this.#files.get(p);
    // Like a file opened for writing, the path exists (truncated unless appending) from now on.
    if (!append || existing === undefined) this.#files.set(p, { data: EMPTY, modTime: new Date() });
    const base = append && existing !== undefined ? existing.data : EMPTY;
    return new MemoryWriter(this.name, p, base, (data) => {
      if (data === undefined) this.#files.delete(p);
      else this.#files.set(p, { data, modTime: new Date() });
    });
  }

  async stat(path: string): Promise<FileInfo> {
    const p = checkPath(this.name, path);
    const file = this.#files.get(p);
    if (file !== undefined) return { path: p, size: file.data.length, modTime: file.modTime, isDir: false };
    let latest: number | undefined;
    for (const [key, entry] of this.#files) {
      if (key.startsWith(`${p}/`)) latest = Math.max(latest ?? 0, entry.modTime.getTime());
    }
    if (latest === undefined) throw new PathNotFoundError(this.name, p);
    return { path: p, size: 0, modTime: new Date(latest), isDir: true };
  }

  async list(path: string): Promise<string[]> {
    const p = checkPath(this.name, path, true);
    const prefix = p === '/' ? '/' : `${p}/`;
    const children = new Set<string>();
    for (const key of this.#files.keys()) {
      if (key.startsWith(prefix)) children.add(prefix + key.slice(prefix.length).split('/', 1)[0]);
    }
    if (children.size === 0 && p !== '/') throw new PathNotFoundError(this.name, p);
    return [...children].sort();
  }

  async move(source: string, dest: string): Promise<void> {
    const from = checkPath(this.name, source);
    const to = checkPath(this.name, dest);
    const file = this.#file(from);
    this.#files.delete(from);
    this.#files.set(to, file);
  }

  async delete(path: string): Promise<void> {
    const p = checkPath(this.name, path, true);
    if (this.#files.delete(p)) return;
    const prefix = p === '/' ? '/' : `${p}/`;
    let removed = 0;
    for (const key of [...this.#files.keys()]) {
      if (key.startsWith(prefix)) removed += this.#files.delete(key) ? 1 : 0;
    }
    if (removed === 0) throw new PathNotFoundError(this.name, p);
  }

  async redirectUrl(path: string): Promise<string | null> {
    checkPath(this.name, path);
    return null;
  }

  async walk(path: string, visit: (info: FileInfo) => void | Promise<void>, options: WalkOptions = {}): Promise<void> {
    for (const child of await this.list(checkPath(this.name, path, true))) {
      // A visitor may delete what it is shown; a child gone before its turn is skipped.
      const info = await this.stat(child).catch((err: unknown) => {
        if (err instanceof PathNotFoundError) return undefined;
        throw err;
      });
      if (info === undefined) continue;
      await visit(info);
      if (info.isDir && (options.enterDir === undefined || (await options.enterDir(info)))) {
        await this.walk(child, visit, options).catch((err: unknown) => {
          if (!(err instanceof PathNotFoundError)) throw err;
        });
      }
    }
  }

  async walkFiles(path: string, visit: (info: FileInfo) => void | Promise<void>): Promise<void> {
    const p = checkPath(this.name, path, true);
    const prefix = p === '/' ? '/' : `${p}/`;
    // A snapshot: a visitor may delete what it is shown.
    for (const [key, file] of [...this.#files]) if (key.startsWith(prefix)) await visit({ path: key, size: file.data.length, modTime: file.modTime, isDir: false });
  }

  #file(path: string): StoredFile {
    const file = this.#files.get(path);
    if (file === undefined) throw new PathNotFoundError(this.name, path);
    return file;
  }
}

/** Gathers chunks and stores them (after what an appending writer found) on close or commit. */
class MemoryWriter implements StorageWriter {
  readonly #chunks: Buffer[];
  #size: number;
  #done = false;

  constructor(
    private readonly driver: string,
    private readonly path: string,
    base: Buffer,
    private readonly store: (data: Buffer | undefined) => void,
  ) {
    this.#chunks = [base];
    this.#size = base.length;
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    // Copied: the caller may reuse its buffer once the write resolves.
    this.#chunks.push(Buffer.from(chunk));
    this.#size += chunk.length;
  }

  async close(): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    this.store(Buffer.concat(this.#chunks));
  }

  commit(): Promise<void> {
    return this.close();
  }

  async cancel(): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    this.store(undefined);
  }

  #assertOpen(): void {
    if (this.#done) throw new StorageError('WRITER_CLOSED', this.driver, this.path, `writer for ${this.path} is already finished`);
  }
}
