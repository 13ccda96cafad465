// Crash-safe file replacement for host files: a temp file in the same directory, written and fsynced, renamed
// over the target, then the directory fsynced, so a reader (or a reboot) sees the old or the new file, never half.

import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrnoError } from '@private-registry/core';

/**
 * How a file's bytes become a string and back. `latin1` maps every byte to one character and back, so a
 * file with bytes that are not UTF-8 survives a read-modify-write unchanged.
 */
export type FileEncoding = 'utf8' | 'latin1';

export interface AtomicWriteOptions {
  encoding?: FileEncoding;
  /** Mode of a new file (an existing file keeps its own); 0o644 unless told. */
  mode?: number;
}

/** The file's content, or undefined when it does not exist. */
export async function readIfExists(path: string, encoding: FileEncoding = 'utf8'): Promise<string | undefined> {
  try {
    return await readFile(path, { encoding });
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/**
 * Replaces `path` with `content` unless it already holds exactly that (then nothing is touched: same inode,
 * same mtime). Keeps an existing file's mode, and its owner when we run as root; makes missing parent
 * directories. Returns whether the file changed.
 */
export async function writeFileAtomic(path: string, content: string, options: AtomicWriteOptions = {}): Promise<boolean> {
  const encoding = options.encoding ?? 'utf8';
  const bytes = Buffer.from(content, encoding);
  const existing = await statIfExists(path);
  if (existing !== undefined && existing.size === bytes.length) {
    const current = await readFile(path).catch(() => undefined);
    if (current !== undefined && current.equals(bytes)) return false;
  }

  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const mode = existing === undefined ? (options.mode ?? 0o644) : existing.mode & 0o7777;
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(bytes);
      // open()'s mode passes through the umask: set it exactly.
      await handle.chmod(mode);
      if (existing !== undefined && isRoot()) await handle.chown(existing.uid, existing.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dir);
  return true;
}

/** Removes a file we own entirely; returns whether there was one. */
export async function removeFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) return false;
    throw err;
  }
  await syncDirectory(dirname(path));
  return true;
}

async function statIfExists(path: string): Promise<{ mode: number; uid: number; gid: number; size: number } | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Makes a rename or unlink durable: the directory entry itself must reach the disk. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the rename has still happened.
    if (!isErrnoError(err, 'EINVAL') && !isErrnoError(err, 'EISDIR')) throw err;
  } finally {
    await handle.close();
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
