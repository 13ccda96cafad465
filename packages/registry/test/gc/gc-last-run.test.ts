// The record of the last garbage collection in the store (what the status page of every replica shows): written
// by every real run with its summary, by the scheduler when a run fails, never by a dry run, and read back as
// undefined when it is missing or unreadable.
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { GarbageCollector } from '../../src/gc/garbage-collector.js';
import { readGcLastRun, writeGcLastRun, type GcLastRun } from '../../src/gc/gc-last-run.js';
import { scheduleGc } from '../../src/gc/gc-schedule.js';
import type { GcConfig } from '../../src/config/registry-config.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { randomBlob } from '../api/oci-content.js';
import { capturedLog, eventually } from '../auth/htpasswd-test-helpers.js';
import { useGcFixture } from './gc-fixture.js';

const LAST_RUN = pathFor({ kind: 'gcLastRun' });

/** `inner` with `methods` failing with `message` for paths `when` picks. */
function failing(inner: StorageDriver, methods: readonly (keyof StorageDriver)[], when: (path: string) => boolean, message: string): StorageDriver {
  return new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (methods.includes(property as keyof StorageDriver) && when(String(args[0]))) return Promise.reject(new Error(message));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe('gc: the last run recorded in the store', function () {
  this.timeout(20_000);

  describe('written by the collector', function () {
    const fixture = useGcFixture();

    it('records a real run: when it finished and its summary, bytes stored included', async function () {
      const { client, collect, driver } = fixture();
      const image = await client.pushImage('app', 'v1');
      const orphan = await client.pushBlob('app', randomBlob(4096));
      const before = Date.now();
      const { summary } = await collect();
      const record = await readGcLastRun(driver);
      expect(record?.result).to.equal('ok');
      if (record?.result !== 'ok') return;
      expect(record.summary).to.deep.equal(summary);
      expect(record.summary.bytesStored).to.equal(image.config.size + image.layers.reduce((sum, l) => sum + l.size, 0) + image.manifest.size + orphan.size);
      expect(record.summary.blobsDeleted).to.equal(1);
      expect(record.summary.bytesFreed).to.equal(4096);
      // The fixture's collector runs 5 s ahead of the wall clock.
      expect(Date.parse(record.finishedAt)).to.be.within(before, Date.now() + 10_000);
    });

    it('writes nothing for a dry run, keeping the last real run', async function () {
      const { client, collect, driver } = fixture();
      await client.pushBlob('app', randomBlob(100));
      expect((await collect({ dryRun: true })).summary.dryRun).to.equal(true);
      expect(await readGcLastRun(driver)).to.equal(undefined);
      await collect();
      const real = await readGcLastRun(driver);
      await collect({ dryRun: true });
      expect(await readGcLastRun(driver)).to.deep.equal(real);
    });
  });

  it('finishes a run whose record the store refuses, and says so in the log', async function () {
    const memory = new MemoryDriver();
    const driver = failing(memory, ['putContent'], (path) => path === LAST_RUN, 'bucket policy denies');
    const captured = capturedLog();
    const collector = new GarbageCollector(driver, new RegistryServices(driver, { deleteEnabled: true, readOnly: false, catalogMaxEntries: 100 }), captured.log);
    const summary = await collector.run({ dryRun: false, deleteUntagged: false, gracePeriodMs: 0, retention: [], lockExpiryMs: 60_000 });
    expect(summary.dryRun).to.equal(false);
    expect(await readGcLastRun(memory)).to.equal(undefined);
    expect(captured.text()).to.include('the record of this gc run was not written').and.include('bucket policy denies');
  });

  it('is written as failed by the scheduler when a run fails, with the error and how long it took', async function () {
    const memory = new MemoryDriver();
    const driver = failing(memory, ['list', 'walk', 'walkFiles'], () => true, 'store on fire');
    const config: GcConfig = { enabled: true, intervalMs: 20, gracePeriodMs: 0, deleteUntagged: false, dryRun: false, lockExpiryMs: 60_000, etcd: undefined, retention: [] };
    const log = createLogger({ level: 'silent' });
    const stop = scheduleGc(driver, new RegistryServices(driver, { deleteEnabled: true, readOnly: false, catalogMaxEntries: 100 }), config, log);
    try {
      await eventually('a failed run is recorded', async () => (await readGcLastRun(memory)) !== undefined, 5_000);
    } finally {
      await stop();
    }
    const record = await readGcLastRun(memory);
    expect(record?.result).to.equal('failed');
    if (record?.result !== 'failed') return;
    expect(record.error).to.include('store on fire');
    expect(record.durationMs).to.be.a('number').and.at.least(0);
    expect(Number.isNaN(Date.parse(record.finishedAt))).to.equal(false);
  });

  describe('read back', function () {
    it('is undefined when none was recorded', async function () {
      expect(await readGcLastRun(new MemoryDriver())).to.equal(undefined);
    });

    it('is undefined for a garbled or foreign record', async function () {
      const driver = new MemoryDriver();
      for (const text of ['{"result":"ok",', 'null', '42', '"ok"', '{"result":"maybe"}', '', '\u0000\u0001']) {
        await driver.putContent(LAST_RUN, Buffer.from(text));
        expect(await readGcLastRun(driver), JSON.stringify(text)).to.equal(undefined);
      }
    });

    it('reads what was written', async function () {
      const driver = new MemoryDriver();
      const failed: GcLastRun = { result: 'failed', finishedAt: '2026-06-01T00:00:00.000Z', error: 'gc lock lost', durationMs: 1234 };
      await writeGcLastRun(driver, failed);
      expect(await readGcLastRun(driver)).to.deep.equal(failed);
    });

    it('passes on a store error other than a missing record', async function () {
      const broken = failing(new MemoryDriver(), ['getContent'], () => true, 'store unreachable');
      let error: unknown;
      await readGcLastRun(broken).catch((err: unknown) => (error = err));
      expect(String(error)).to.include('store unreachable');
    });
  });
});
