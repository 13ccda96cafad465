// One process per queue directory: two registries appending to and delivering from the same queue would
// send events twice and remove each other's files. The owner file names the holder and its mtime is a
// heartbeat; a holder that is gone (same host, dead pid) or silent for STALE_MS is taken over.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CodedError, isErrnoError } from '@private-registry/core';

const OWNER_FILE = 'owner';
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

interface Owner {
  host: string;
  pid: number;
  instance: string;
}

export class QueueLock {
  private constructor(
    private readonly file: string,
    private readonly instance: string,
    private readonly heartbeat: NodeJS.Timeout,
  ) {}

  /** @throws CodedError NOTIFICATION_QUEUE_IN_USE naming the holder when a live process on another host or pid holds it */
  static async acquire(directory: string): Promise<QueueLock> {
    await mkdir(directory, { recursive: true });
    const file = join(directory, OWNER_FILE);
    const me: Owner = { host: hostname(), pid: process.pid, instance: randomUUID() };
    const text = `${JSON.stringify(me)}\n`;
    try {
      await writeFile(file, text, { flag: 'wx' });
    } catch (err) {
      if (!isErrnoError(err, 'EEXIST')) throw err;
      const holder = await readOwner(file);
      if (holder !== undefined && !(await isStale(file, holder))) {
        throw new CodedError(
          'NOTIFICATION_QUEUE_IN_USE',
          `notification queue ${directory} is in use by process ${holder.pid} on ${holder.host}: give each registry process its own notifications.queuedirectory`,
        );
      }
      await writeFile(`${file}.${me.instance}.tmp`, text);
      await rename(`${file}.${me.instance}.tmp`, file);
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      utimes(file, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    heartbeat.unref();
    return new QueueLock(file, me.instance, heartbeat);
  }

  /** Stops the heartbeat and removes the owner file if it is still ours. */
  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    const holder = await readOwner(this.file);
    if (holder?.instance === this.instance) await unlink(this.file).catch(() => undefined);
  }
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Owner>;
    if (typeof parsed.host === 'string' && typeof parsed.pid === 'number' && typeof parsed.instance === 'string') return parsed as Owner;
  } catch {
    // Unreadable or half-written: nobody can prove ownership, so it is stale.
  }
  return undefined;
}

async function isStale(file: string, holder: Owner): Promise<boolean> {
  if (holder.host === hostname() && (holder.pid === process.pid || !isAlive(holder.pid))) return true;
  const { mtimeMs } = await stat(file);
  return Date.now() - mtimeMs > STALE_MS;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrnoError(err, 'EPERM');
  }
}
