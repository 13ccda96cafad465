// The instrumenting driver decorator: it passes the shared driver conformance suite over the memory and
// filesystem drivers, keeps the filesystem reader's fast path, keeps optional methods optional, and times
// every call by driver and operation, counting failures but not missing paths.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { RegistryMetrics } from '../../src/metrics/registry-metrics.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { instrumentDriver } from '../../src/storage/instrumented-driver.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { canWriteItself } from '../../src/storage/storage-driver.js';
import { PathNotFoundError, StorageUnavailableError } from '../../src/storage/storage-errors.js';
import { readAll, rejectionOf, runDriverSuite } from '../storage/driver-suite.js';
import { parseExposition, valueOf } from './exposition-text.js';

function metricsForTest(): RegistryMetrics {
  return new RegistryMetrics({ version: 'test', processMetrics: false });
}

runDriverSuite('InstrumentedDriver over MemoryDriver', async () => ({ driver: instrumentDriver(new MemoryDriver(), metricsForTest().storage), cleanup: async () => undefined }));

runDriverSuite('InstrumentedDriver over FilesystemDriver', async () => {
  const base = await mkdtemp(join(tmpdir(), 'instrumented-driver-'));
  const driver = instrumentDriver(new FilesystemDriver({ rootDirectory: join(base, 'registry') }), metricsForTest().storage);
  return { driver, cleanup: () => rm(base, { recursive: true, force: true }) };
});

describe('InstrumentedDriver', () => {
  let base: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'instrumented-driver-'));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function samples(metrics: RegistryMetrics) {
    return parseExposition((await metrics.scrape()).body);
  }

  it("keeps the filesystem driver's self-writing reader and its name", async () => {
    const inner = new FilesystemDriver({ rootDirectory: join(base, 'registry') });
    const driver = instrumentDriver(inner, metricsForTest().storage);
    expect(driver.name).to.equal('filesystem');
    // Large enough for the streaming reader (small files are read in one go).
    const content = Buffer.alloc(1024 * 1024, 7);
    await driver.putContent('/a/data', content);
    const reader = await driver.reader('/a/data', 6);
    expect(canWriteItself(reader)).to.equal(true);
    expect((await readAll(reader)).equals(content.subarray(6))).to.equal(true);
  });

  it('has purgeIncompleteWrites exactly when the wrapped driver has it, and times it', async () => {
    const metrics = metricsForTest();
    const plain = instrumentDriver(new MemoryDriver(), metrics.storage);
    expect(plain.purgeIncompleteWrites).to.equal(undefined);
    expect('purgeIncompleteWrites' in plain).to.equal(false);
    const calls: Array<[number, boolean]> = [];
    const withPurge = Object.assign(new MemoryDriver(), {
      purgeIncompleteWrites: async (olderThanMs: number, dryRun: boolean) => {
        calls.push([olderThanMs, dryRun]);
        return 7;
      },
    });
    const driver = instrumentDriver(withPurge, metrics.storage);
    expect(await driver.purgeIncompleteWrites?.(1000, true)).to.equal(7);
    expect(calls).to.deep.equal([[1000, true]]);
    expect(valueOf(await samples(metrics), 'registry_storage_operation_duration_seconds_count', { driver: 'inmemory', operation: 'purgeIncompleteWrites' })).to.equal(1);
  });

  it('times every operation by driver and operation, writer commit included', async () => {
    const metrics = metricsForTest();
    const driver = instrumentDriver(new FilesystemDriver({ rootDirectory: join(base, 'registry') }), metrics.storage);
    await driver.putContent('/x/one', Buffer.from('1'));
    await driver.getContent('/x/one');
    await driver.getContent('/x/one');
    await driver.stat('/x/one');
    await driver.list('/x');
    const writer = await driver.writer('/x/two', false);
    await writer.write(Buffer.from('abc'));
    expect(writer.size).to.equal(3);
    await writer.commit();
    await driver.move('/x/two', '/x/three');
    await driver.walk('/x', () => undefined);
    await driver.delete('/x');
    const s = await samples(metrics);
    const count = (operation: string) => valueOf(s, 'registry_storage_operation_duration_seconds_count', { driver: 'filesystem', operation });
    expect(count('putContent')).to.equal(1);
    expect(count('getContent')).to.equal(2);
    expect(count('stat')).to.equal(1);
    expect(count('list')).to.equal(1);
    expect(count('writer')).to.equal(1);
    expect(count('writer.commit')).to.equal(1);
    expect(count('move')).to.equal(1);
    expect(count('walk')).to.equal(1);
    expect(count('delete')).to.equal(1);
    expect(valueOf(s, 'registry_storage_operation_duration_seconds_sum', { operation: 'getContent' })).to.be.greaterThan(0);
    expect(valueOf(s, 'registry_storage_errors_total')).to.equal(0);
  });

  it('counts a failing operation as an error, passes the error on unchanged, and does not count a missing path', async () => {
    const metrics = metricsForTest();
    const inner = new MemoryDriver();
    const failure = new StorageUnavailableError('inmemory', '/down', 'EIO');
    inner.stat = async () => {
      throw failure;
    };
    // A driver that throws synchronously is measured the same way.
    inner.list = () => {
      throw failure;
    };
    const driver = instrumentDriver(inner, metrics.storage);
    expect(await rejectionOf(driver.stat('/down'), StorageUnavailableError)).to.equal(failure);
    expect(await rejectionOf(driver.list('/down'), StorageUnavailableError)).to.equal(failure);
    await rejectionOf(driver.getContent('/missing'), PathNotFoundError, driver);
    const s = await samples(metrics);
    expect(valueOf(s, 'registry_storage_errors_total', { driver: 'inmemory', operation: 'stat' })).to.equal(1);
    expect(valueOf(s, 'registry_storage_errors_total', { driver: 'inmemory', operation: 'list' })).to.equal(1);
    expect(valueOf(s, 'registry_storage_errors_total', { operation: 'getContent' })).to.equal(0);
    expect(valueOf(s, 'registry_storage_operation_duration_seconds_count', { operation: 'getContent' })).to.equal(1);
  });
});
