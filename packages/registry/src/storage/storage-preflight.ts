// The startup check of the store: a misconfiguration only the operator can fix (root not a writable
// directory, no such bucket, credentials refused) stops the registry; a store that is merely
// unreachable does not (the registry starts and reports it as not ready until it answers).
import { randomBytes } from 'node:crypto';
import { mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError, isErrnoError } from '@private-registry/core';
import type { StorageDriver } from './storage-driver.js';
import { isPathNotFound, StorageUnavailableError } from './storage-errors.js';

/** Startup stops on it; the CLI prints the message and exits 2. */
export class StorageMisconfiguredError extends CodedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_MISCONFIGURED', `storage misconfigured: ${message}`, options);
  }
}

export type StorageProbe = { ok: true } | { ok: false; reason: string; misconfigured: boolean; code: string };

/** One round trip to the store (a listing of its root): answering, even "empty", counts as ok. */
export async function probeStorage(driver: StorageDriver): Promise<StorageProbe> {
  try {
    await driver.list('/');
    return { ok: true };
  } catch (err) {
    if (isPathNotFound(err)) return { ok: true };
    const misconfigured = err instanceof StorageUnavailableError && err.misconfigured;
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: err instanceof Error ? err.message : String(err), misconfigured, code: typeof code === 'string' ? code : 'UNKNOWN' };
  }
}

/**
 * Creates the root directory if it does not exist yet, then proves it is a directory we can write
 * (a file written and removed): permissions, a read-only mount or a file in the way all show here,
 * for root too.
 */
export async function checkFilesystemRoot(root: string): Promise<void> {
  const key = 'storage.filesystem.rootdirectory';
  try {
    await mkdir(root, { recursive: true });
  } catch (err) {
    const code = isErrnoError(err) ? err.code : String(err);
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way of the directory' : `it cannot be created (${code})`;
    throw new StorageMisconfiguredError(`${key}: ${root}: ${why}`, { cause: err });
  }
  const info = await stat(root);
  if (!info.isDirectory()) throw new StorageMisconfiguredError(`${key}: ${root} is not a directory`);
  const probe = join(root, `.write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '');
  } catch (err) {
    const code = isErrnoError(err) ? err.code : String(err);
    // A full disk is a fault of the moment, not of the configuration: pulls still work.
    if (code === 'ENOSPC' || code === 'EDQUOT') return;
    throw new StorageMisconfiguredError(`${key}: ${root} is not writable (${code})`, { cause: err });
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * The startup check for any driver: the filesystem root is checked on disk; other stores by one probe,
 * bounded by `timeoutMs` (a store that does not answer in time counts as unreachable, not misconfigured).
 * @throws StorageMisconfiguredError
 */
export async function preflightStorage(driver: StorageDriver, options: { filesystemRoot?: string; timeoutMs: number }): Promise<StorageProbe> {
  if (options.filesystemRoot !== undefined) await checkFilesystemRoot(options.filesystemRoot);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<StorageProbe>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${options.timeoutMs} ms`, misconfigured: false, code: 'STORAGE_TIMEOUT' }), options.timeoutMs);
  });
  const probe = await Promise.race([probeStorage(driver), timeout]);
  clearTimeout(timer);
  if (!probe.ok && probe.misconfigured) throw new StorageMisconfiguredError(probe.reason);
  return probe;
}
