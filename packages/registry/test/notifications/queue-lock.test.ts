// One registry process per queue directory: a live owner keeps a second one out, a dead or silent one
// is taken over, and a directory that cannot be used stops startup with one line naming it.
import { expect } from 'chai';
import { utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { QueueLock, STALE_MS } from '../../src/notifications/queue-lock.js';
import { NotificationBus } from '../../src/notifications/notification-bus.js';

const log = createLogger({ level: 'silent' });

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('notifications: queue ownership', function () {
  after(cleanupTestbed);

  it('refuses a second owner while the first is alive, and lets one in after release', async () => {
    const other = join((await tempDir('lock')).path, 'q');
    const first = await QueueLock.acquire(other);
    await first.release();
    // A process on another host: only its heartbeat (the file's mtime) can prove it is gone.
    await writeFile(join(other, 'owner'), JSON.stringify({ host: 'elsewhere', pid: 1, instance: 'i-1' }));
    const err = await rejection(QueueLock.acquire(other));
    expect(err.code).to.equal('NOTIFICATION_QUEUE_IN_USE');
    expect(err.message).to.include('process 1 on elsewhere').and.include('notifications.queuedirectory');
    const old = new Date(Date.now() - STALE_MS - 5_000);
    await utimes(join(other, 'owner'), old, old);
    const taken = await QueueLock.acquire(other);
    await taken.release();
  });

  it('takes over from a process of this host that is gone', async () => {
    const dir = (await tempDir('lock')).path;
    await writeFile(join(dir, 'owner'), JSON.stringify({ host: hostname(), pid: 2 ** 22 + 12345, instance: 'dead' }));
    const lock = await QueueLock.acquire(dir);
    await lock.release();
  });

  it('stops a second bus on the same queue directory, naming it', async () => {
    const queueDirectory = (await tempDir('lock')).path;
    const config = { queueDirectory, includeReferences: false, endpoints: [{ name: 'hook', url: 'http://127.0.0.1:9/', headers: {}, timeoutMs: 100, threshold: 1, backoffMs: 10_000, ignoredMediaTypes: [], ignoredActions: [] }] };
    const first = await NotificationBus.start(config, { log, sourceAddr: 'a:1' });
    // Same host and pid counts as ours (a container restarted as pid 1), so pretend to be another host.
    await writeFile(join(queueDirectory, 'hook', 'owner'), JSON.stringify({ host: 'replica-2', pid: 7, instance: 'other' }));
    const err = await rejection(NotificationBus.start(config, { log, sourceAddr: 'b:1' }));
    expect(err.code).to.equal('NOTIFICATION_QUEUE_IN_USE');
    expect(err.message).to.include(join(queueDirectory, 'hook'));
    await first?.close();
  });

  it('stops with one line naming the directory when it cannot be created', async () => {
    // Below a regular file: no directory can be made there, whoever runs the test.
    const file = join((await tempDir('lock')).path, 'a-file');
    await writeFile(file, '');
    const config = { queueDirectory: join(file, 'q'), includeReferences: false, endpoints: [{ name: 'hook', url: 'http://127.0.0.1:9/', headers: {}, timeoutMs: 100, threshold: 1, backoffMs: 10, ignoredMediaTypes: [], ignoredActions: [] }] };
    const err = await rejection(NotificationBus.start(config, { log, sourceAddr: 'a:1' }));
    expect(err.code).to.equal('NOTIFICATION_QUEUE_UNUSABLE');
    expect(err.message).to.equal(`notifications.queuedirectory: cannot use ${join(file, 'q', 'hook')} for endpoint "hook" (ENOTDIR): give a writable local directory`);
  });
});
