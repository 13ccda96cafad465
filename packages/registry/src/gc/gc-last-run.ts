// What the last garbage collection did, kept in the store (so every replica's status page shows the same run,
// whichever replica or `private-registry gc` ran it): its summary when it finished, or why it failed.
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import type { GcSummary } from './garbage-collector.js';

export type GcLastRun =
  | { result: 'ok'; finishedAt: string; summary: GcSummary }
  | { result: 'failed'; finishedAt: string; error: string; durationMs: number };

/** Writes the record; a store that refuses is not the collection's failure (the caller logs it). */
export async function writeGcLastRun(driver: StorageDriver, run: GcLastRun): Promise<void> {
  await driver.putContent(pathFor({ kind: 'gcLastRun' }), Buffer.from(JSON.stringify(run)));
}

/** The last run, or undefined when none was recorded (or the record is unreadable). */
export async function readGcLastRun(driver: StorageDriver): Promise<GcLastRun | undefined> {
  let text: string;
  try {
    text = (await driver.getContent(pathFor({ kind: 'gcLastRun' }))).toString('utf8');
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as GcLastRun;
    return parsed.result === 'ok' || parsed.result === 'failed' ? parsed : undefined;
  } catch {
    return undefined;
  }
}
