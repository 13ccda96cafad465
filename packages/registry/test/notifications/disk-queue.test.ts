// The on-disk queue behind each endpoint: what was appended survives a reopen, comes out in order, and
// leaves only when acknowledged; a half-delivered batch resumes where delivery stopped.
import { expect } from 'chai';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { DiskQueue } from '../../src/notifications/disk-queue.js';

const event = (n: number): string => JSON.stringify({ n });

async function drain(queue: DiskQueue, max = Infinity): Promise<number[]> {
  const seen: number[] = [];
  while (seen.length < max) {
    const line = await queue.peek();
    if (line === undefined) break;
    seen.push((JSON.parse(line) as { n: number }).n);
    await queue.ack();
  }
  return seen;
}

describe('notifications: disk queue', function () {
  after(cleanupTestbed);

  it('gives back appended events in order after a reopen, across batches', async () => {
    const dir = (await tempDir('queue')).path;
    const first = await DiskQueue.open(dir);
    await first.append([event(1), event(2)]);
    await first.append([event(3)]);
    await first.append([event(4), event(5), event(6)]);
    expect(first.size).to.equal(6);
    const reopened = await DiskQueue.open(dir);
    expect(reopened.size).to.equal(6);
    expect(await drain(reopened)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(reopened.size).to.equal(0);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('resumes inside a half-delivered batch and never repeats an acknowledged event', async () => {
    const dir = (await tempDir('queue')).path;
    const queue = await DiskQueue.open(dir);
    await queue.append([event(1), event(2), event(3)]);
    await queue.append([event(4)]);
    expect(await drain(queue, 2)).to.deep.equal([1, 2]);
    // Peeked but not acknowledged: it must come again.
    expect(await queue.peek()).to.equal(event(3));
    const reopened = await DiskQueue.open(dir);
    expect(reopened.size).to.equal(2);
    expect(await drain(reopened)).to.deep.equal([3, 4]);
  });

  it('keeps numbering after the queue emptied, so a stale cursor never applies to a new batch', async () => {
    const dir = (await tempDir('queue')).path;
    const queue = await DiskQueue.open(dir);
    await queue.append([event(1), event(2)]);
    await drain(queue);
    await queue.append([event(3), event(4)]);
    expect(await drain(queue, 1)).to.deep.equal([3]);
    const reopened = await DiskQueue.open(dir);
    await reopened.append([event(5)]);
    expect(await drain(await DiskQueue.open(dir))).to.deep.equal([4, 5]);
  });

  it('drops an append that never finished (a temp file) and skips a damaged line', async () => {
    const dir = (await tempDir('queue')).path;
    const queue = await DiskQueue.open(dir);
    await queue.append([event(1)]);
    await writeFile(join(dir, '0000000000000002.events.tmp'), `${event(99)}\n`);
    await writeFile(join(dir, '0000000000000003.events'), `${event(2)}\n{"torn\n${event(3)}\n`);
    const damaged: number[] = [];
    const reopened = await DiskQueue.open(dir, { onDamaged: (_file, line) => damaged.push(line) });
    expect(await drain(reopened)).to.deep.equal([1, 2, 3]);
    expect(damaged).to.deep.equal([2]);
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('counts a batch removed behind its back as gone, and makes the directory again for the next append', async () => {
    const dir = (await tempDir('queue')).path;
    const missing: number[] = [];
    const queue = await DiskQueue.open(dir, { onMissing: (_file, events) => missing.push(events) });
    await queue.append([event(1), event(2)]);
    await rm(dir, { recursive: true });
    await queue.append([event(3)]);
    expect(queue.size).to.equal(3);
    expect(await drain(queue)).to.deep.equal([3]);
    expect(missing).to.deep.equal([2]);
    expect(queue.size).to.equal(0);
  });
});
