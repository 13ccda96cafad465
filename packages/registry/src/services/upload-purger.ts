// Deletes abandoned upload sessions (storage.maintenance.uploadpurging): any upload whose
// startedat is older than the configured age, on any repository, whichever replica started it.
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import { deleteIfPresent } from './link-files.js';

export interface UploadPurgeOptions {
  ageMs: number;
  dryRun: boolean;
}

export interface PurgeResult {
  scanned: number;
  purged: string[];
  /** Half-done backend writes (S3 multipart uploads) aborted, or "unsupported" by the backend; absent for drivers without any. */
  incompleteWrites?: number | 'unsupported';
}

export async function purgeUploads(driver: StorageDriver, options: UploadPurgeOptions, now = Date.now()): Promise<PurgeResult> {
  const result: PurgeResult = { scanned: 0, purged: [] };
  const root = pathFor({ kind: 'repositoriesRoot' });
  const repositories: string[] = [];
  try {
    await driver.walk(root, () => undefined, {
      enterDir: (info) => {
        const base = info.path.slice(info.path.lastIndexOf('/') + 1);
        if (base === '_uploads') repositories.push(info.path.slice(root.length + 1, info.path.lastIndexOf('/')));
        return !base.startsWith('_');
      },
    });
  } catch (err) {
    // No repository yet: no session to purge, but the backend may still hold half-done writes.
    if (!isPathNotFound(err)) throw err;
  }
  for (const name of repositories) {
    const uploads = await driver.list(pathFor({ kind: 'uploadsRoot', name })).catch(() => [] as string[]);
    for (const upload of uploads) {
      const id = upload.slice(upload.lastIndexOf('/') + 1);
      result.scanned += 1;
      const started = await startedAt(driver, name, id);
      if (started !== null && now - started < options.ageMs) continue;
      result.purged.push(`${name}/${id}`);
      if (!options.dryRun) await deleteIfPresent(driver, pathFor({ kind: 'uploadDir', name, id }));
    }
  }
  if (driver.purgeIncompleteWrites !== undefined) result.incompleteWrites = await driver.purgeIncompleteWrites(options.ageMs, options.dryRun);
  return result;
}

/** The session's start time; a missing or unreadable file falls back to the directory's mtime. */
async function startedAt(driver: StorageDriver, name: string, id: string): Promise<number | null> {
  try {
    const text = (await driver.getContent(pathFor({ kind: 'uploadStartedAt', name, id }))).toString('utf8').trim();
    const time = Date.parse(text);
    if (!Number.isNaN(time)) return time;
  } catch {
    // fall through to the directory's own time
  }
  try {
    return (await driver.stat(pathFor({ kind: 'uploadDir', name, id }))).modTime.getTime();
  } catch {
    return null;
  }
}

/** Runs the purge periodically; the timer never keeps the process alive. */
export function scheduleUploadPurge(driver: StorageDriver, options: UploadPurgeOptions & { intervalMs: number; firstRunMs: number }, log: Logger): () => void {
  const run = (): void => {
    purgeUploads(driver, options)
      .then((r) => log.info({ scanned: r.scanned, purged: r.purged.length, incompleteWrites: r.incompleteWrites, dryRun: options.dryRun }, 'upload purge finished'))
      .catch((err: unknown) => log.error({ err }, 'upload purge failed'));
  };
  // Timers cap at 2^31-1 ms (24.8 days); a longer interval runs at that cap instead.
  const intervalMs = Math.min(options.intervalMs, 2 ** 31 - 1);
  const first = setTimeout(() => {
    run();
    interval.refresh();
  }, options.firstRunMs);
  const interval = setInterval(run, intervalMs);
  first.unref();
  interval.unref();
  return () => {
    clearTimeout(first);
    clearInterval(interval);
  };
}
