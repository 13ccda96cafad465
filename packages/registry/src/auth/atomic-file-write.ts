// Replaces a file all at once (temp file in the same directory, fsync, rename), so a reader such as a
// running registry sees the old content or the new, never half a file. An existing file keeps its mode
// and, where this process may set it, its owner; a symlink is followed and stays a symlink.
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isErrnoError } from '@private-registry/core';

export interface AtomicWriteResult {
  /** The file written (the symlink's target when `path` was a symlink). */
  path: string;
  created: boolean;
  /** Things the operator should know (the owner could not be kept). */
  warnings: string[];
}

export async function writeFileAtomic(path: string, text: string, options: { newFileMode: number }): Promise<AtomicWriteResult> {
  const existing = await existingTarget(path);
  const target = existing?.path ?? path;
  const mode = existing === undefined ? options.newFileMode : existing.mode;
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const warnings: string[] = [];
  const handle = await open(temp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(text, 'utf8');
      if (existing !== undefined) {
        try {
          await handle.chown(existing.uid, existing.gid);
        } catch (err) {
          if (!isErrnoError(err, 'EPERM')) throw err;
          warnings.push(`${target}: could not keep the owner ${existing.uid}:${existing.gid} (run as that user or as root)`);
        }
      }
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(target));
  return { path: target, created: existing === undefined, warnings };
}

async function existingTarget(path: string): Promise<{ path: string; mode: number; uid: number; gid: number } | undefined> {
  try {
    const real = await realpath(path);
    const s = await stat(real);
    return { path: real, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid };
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Makes the rename durable; some file systems refuse fsync on a directory, which is harmless here. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
