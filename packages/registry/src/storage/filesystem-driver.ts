// Storage in a local directory, laid out as distribution's filesystem driver does (`<root><path>`),
// so a registry:2 data directory can be served as it is, and ours read by registry:2.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync, type Stats } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { isErrnoError } from '@private-registry/core';
import type { FileInfo, StorageDriver, StorageWriter, WalkOptions } from './storage-driver.js';
import { InvalidOffsetError, PathNotFoundError } from './storage-errors.js';
import { checkPath, isStorageName } from './storage-path.js';
import { FileWriter } from './filesystem-writer.js';
import { FileRangeStream } from './file-range-stream.js';
import { DirectoryListingCache } from './directory-listing-cache.js';
import { toStorageError } from './filesystem-errors.js';

/** Large reads keep syscalls and stream events few: blobs are served at disk speed. */
const READ_CHUNK = 1 << 20;
/** Reads up to this size are done at once instead of streamed. */
const SMALL_READ = 64 * 1024;
/** Entries a flat walk visits between two turns of the event loop. */
const WALK_BATCH = 256;
/** '~' is not allowed in a segment: a temp file can never be taken for a storage path. */
const TEMP_MARK = '.~';

export interface FilesystemDriverOptions {
  rootDirectory: string;
}

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly #root: string;
  readonly #listings = new DirectoryListingCache();

  constructor(options: FilesystemDriverOptions) {
    const root = resolve(options.rootDirectory);
    this.#root = root === '/' ? '' : root;
  }

  // Metadata reads (getContent of links and manifests, stat, list) are synchronous on purpose: they
  // are small and served from the page cache in microseconds, while each asynchronous fs call costs
  // several thread-pool hand-offs that dominate the hot read paths (manifest GET, blob HEAD). Bulk data
  // (blob streams, uploads) stays asynchronous.
  async getContent(path: string): Promise<Buffer> {
    const p = checkPath(this.name, path);
    try {
      return readFileSync(this.#file(p));
    } catch (err) {
      throw toStorageError(this.name, p, err);
    }
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    const p = checkPath(this.name, path);
    const target = this.#file(p);
    const dir = dirname(target);
    const temp = `${dir}/${TEMP_MARK}${basename(target)}.${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(dir, { recursive: true });
      const handle = await open(temp, 'wx');
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
      await syncDirectory(dir);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw toStorageError(this.name, p, err);
    }
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    const p = checkPath(this.name, path);
    let fd: number | undefined;
    try {
      fd = openSync(this.#file(p), 'r');
      const info = fstatSync(fd);
      if (info.isDirectory()) throw new PathNotFoundError(this.name, p);
      const end = rangeEnd(this.name, p, info.size, offset, length);
      if (end - offset <= SMALL_READ) {
        // Small blobs (configs, tiny layers) in one read: no stream machinery, no thread pool.
        const data = Buffer.allocUnsafe(end - offset);
        let done = 0;
        while (done < data.length) {
          const n = readSync(fd, data, done, data.length - done, offset + done);
          if (n === 0) break;
          done += n;
        }
        closeSync(fd);
        return Readable.from(done === 0 ? [] : [data.subarray(0, done)], { objectMode: false });
      }
      return new FileRangeStream(fd, offset, end, READ_CHUNK);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      throw toStorageError(this.name, p, err);
    }
  }

  async writer(path: string, append: boolean): Promise<StorageWriter> {
    const p = checkPath(this.name, path);
    const file = this.#file(p);
    const flags = constants.O_WRONLY | constants.O_CREAT | (append ? 0 : constants.O_TRUNC);
    try {
      await mkdir(dirname(file), { recursive: true });
      const handle = await open(file, flags);
      try {
        return new FileWriter(this.name, p, file, handle, (await handle.stat()).size);
      } catch (err) {
        await handle.close();
        throw err;
      }
    } catch (err) {
      throw toStorageError(this.name, p, err);
    }
  }

  async stat(path: string): Promise<FileInfo> {
    const p = checkPath(this.name, path);
    try {
      return fileInfo(p, statSync(this.#file(p)));
    } catch (err) {
      throw toStorageError(this.name, p, err);
    }
  }

  async list(path: string): Promise<string[]> {
    const p = checkPath(this.name, path, true);
    const dir = this.#file(p);
    try {
      const cached = this.#listings.lookup(dir);
      if (cached) return cached.slice();
      const { mtimeNs } = statSync(dir, { bigint: true });
      const prefix = p === '/' ? '' : p;
      // Only names a caller could address are shown: not our temp files, nor a mount point's lost+found.
      const paths = readdirSync(dir).filter(isStorageName).map((name) => `${prefix}/${name}`).sort();
      this.#listings.remember(dir, mtimeNs, paths);
      return paths.slice();
    } catch (err) {
      // The root always exists as far as callers can tell, even before the first write.
      if (p === '/' && isErrnoError(err, 'ENOENT')) return [];
      throw toStorageError(this.name, p, err);
    }
  }

  async move(source: string, dest: string): Promise<void> {
    const from = checkPath(this.name, source);
    const to = checkPath(this.name, dest);
    // Stat first so a missing source leaves no empty directories behind at the destination.
    await this.stat(from);
    const target = this.#file(to);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(this.#file(from), target);
      await syncDirectory(dirname(target));
    } catch (err) {
      throw toStorageError(this.name, isErrnoError(err, 'ENOENT') ? from : to, err);
    }
  }

  async delete(path: string): Promise<void> {
    const p = checkPath(this.name, path, true);
    try {
      if (p !== '/') return await rm(this.#file(p), { recursive: true });
      // Empty the root rather than remove it: it may be a mount point.
      const names = await readdir(this.#file(p));
      if (names.length === 0) throw new PathNotFoundError(this.name, p);
      for (const name of names) await rm(`${this.#root}/${name}`, { recursive: true, force: true });
    } catch (err) {
      throw toStorageError(this.name, p, err);
    }
  }

  async redirectUrl(path: string): Promise<string | null> {
    checkPath(this.name, path);
    return null;
  }

  /**
   * Every file under `path`: directories are read with their entry types (no stat per directory), files are
   * stat'ed for size and time. Yields to the event loop every WALK_BATCH entries, so a long walk (gc, fsck in
   * the server) never holds up requests for long.
   */
  async walkFiles(path: string, visit: (info: FileInfo) => void | Promise<void>): Promise<void> {
    const top = checkPath(this.name, path, true);
    const pending: string[] = [top];
    let sinceYield = 0;
    while (pending.length > 0) {
      const dir = pending.pop() as string;
      let entries;
      try {
        entries = readdirSync(this.#file(dir), { withFileTypes: true });
      } catch (err) {
        if (isErrnoError(err, 'ENOENT') || isErrnoError(err, 'ENOTDIR')) continue;
        throw toStorageError(this.name, dir, err);
      }
      const prefix = dir === '/' ? '' : dir;
      for (const entry of entries) {
        if (!isStorageName(entry.name)) continue;
        const child = `${prefix}/${entry.name}`;
        if (entry.isDirectory()) {
          pending.push(child);
          continue;
        }
        let stats: Stats;
        try {
          stats = statSync(this.#file(child));
        } catch (err) {
          if (isErrnoError(err, 'ENOENT')) continue;
          throw toStorageError(this.name, child, err);
        }
        await visit(fileInfo(child, stats));
        if (++sinceYield >= WALK_BATCH) {
          sinceYield = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    }
  }

  async walk(path: string, visit: (info: FileInfo) => void | Promise<void>, options: WalkOptions = {}): Promise<void> {
    await this.#walkDirectory(checkPath(this.name, path, true), visit, options, true);
  }

  async #walkDirectory(dir: string, visit: (info: FileInfo) => void | Promise<void>, options: WalkOptions, top: boolean): Promise<void> {
    let children: string[];
    try {
      children = await this.list(dir);
    } catch (err) {
      // A subdirectory removed while we walk (GC, a cancelled upload) is simply no longer there.
      if (!top && err instanceof PathNotFoundError) return;
      throw err;
    }
    for (const child of children) {
      let info: FileInfo;
      try {
        info = await this.stat(child);
      } catch (err) {
        if (err instanceof PathNotFoundError) continue;
        throw err;
      }
      await visit(info);
      if (info.isDir && (options.enterDir === undefined || (await options.enterDir(info)))) {
        await this.#walkDirectory(child, visit, options, false);
      }
    }
  }

  #file(path: string): string {
    return path === '/' ? this.#root || '/' : this.#root + path;
  }
}

/** A rename is durable only once the directory holding the new entry is synced. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems cannot fsync a directory; there is nothing more we can do there.
    if (!isErrnoError(err, 'EINVAL')) throw err;
  } finally {
    await handle.close();
  }
}

function fileInfo(path: string, s: Stats): FileInfo {
  const isDir = s.isDirectory();
  return { path, size: isDir ? 0 : s.size, modTime: s.mtime, isDir };
}

/** The end (exclusive) of a read of `length` bytes from `offset` in a file of `size` bytes. */
function rangeEnd(driver: string, path: string, size: number, offset: number, length: number | undefined): number {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) throw new InvalidOffsetError(driver, path, offset);
  if (length === undefined) return size;
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`${driver}: invalid length ${length} for ${path}`);
  return Math.min(size, offset + length);
}
