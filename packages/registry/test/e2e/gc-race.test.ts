// The collector under fire: clients push continuously while the registries collect every second with a
// one-second grace period and a retention policy deleting all but the newest tags. Afterwards every tag still
// listed pulls and verifies with skopeo, no manifest the registry serves lacks a blob, and the store holds
// exactly the blobs the remaining images reference.
import { expect } from 'chai';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { assertSucceeded, cleanupTestbed, skopeo, startEtcd, startRegistryProcess, startS3rver, tempDir, type S3rver } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { scanBlobs } from '../../src/gc/store-inventory.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { s3ConfigText, startS3Registry } from './s3-registry.js';
import { expectNoStrandedManifest, pushContinuously, referencedBlobs, type AckedImage, type PushStats } from './gc-race-helpers.js';

const PUSH_FOR_MS = 20_000;
const CLIENTS = 4;

const GC_CONFIG = {
  storage: { gc: { enabled: true, interval: '1s', graceperiod: '1s', deleteuntagged: true, lockexpiry: '10s' } },
  retention: [{ repository: ['race/**'], keeplatest: 3 }],
};

interface Target {
  clients: RegistryApiClient[];
  hosts: string[];
  driver: () => Promise<StorageDriver>;
  logs: () => Promise<string>;
  /** Collections expected at least during the race (a sweep over s3rver takes seconds). */
  minRuns: number;
  /** Tags and blobs expected deleted at least, across the collections. */
  minDeleted: number;
}

async function race(target: Target): Promise<void> {
  const acked: AckedImage[] = [];
  const stats: PushStats = { pushed: 0, retried: 0, orphans: 0 };
  const repositories = Array.from({ length: CLIENTS }, (_, i) => `race/app${i}`);
  const until = Date.now() + PUSH_FOR_MS;
  await Promise.all(repositories.map((repository, i) => pushContinuously(target.clients[i % target.clients.length] as RegistryApiClient, repository, until, acked, stats)));
  expect(stats.pushed).to.be.greaterThan(20);
  const client = target.clients[0] as RegistryApiClient;

  // Let the collectors finish what they started and run once more on the quiet store (grace 1s).
  await new Promise((resolve) => setTimeout(resolve, 4000));
  const logs = await target.logs();
  const runs = logs.split('\n').filter((line) => line.includes('"msg":"gc finished"'));
  expect(runs.length, 'collections during the race').to.be.at.least(target.minRuns);
  const deleted = runs.map((line) => JSON.parse(line) as { blobsDeleted: number; tagsDeleted: number; manifestsDeleted: number });
  expect(logs.split('\n').filter((line) => line.includes('"msg":"gc failed"'))).to.deep.equal([]);
  expect(deleted.reduce((n, r) => n + r.blobsDeleted, 0), 'blobs the collectors deleted').to.be.at.least(target.minDeleted);
  expect(deleted.reduce((n, r) => n + r.tagsDeleted, 0), 'tags retention deleted').to.be.at.least(target.minDeleted);
  expect(logs.split('\n').filter((line) => line.includes('"msg":"gc failed"'))).to.deep.equal([]);

  // Nothing acknowledged lost a blob; the newest tags are there and pull, verified, with skopeo.
  await expectNoStrandedManifest(client, acked);
  for (const repository of repositories) {
    const tags = await client.tagsOf(repository);
    const newest = acked.filter((a) => a.repository === repository && a.tag !== 'latest').at(-1) as AckedImage;
    expect(tags, repository).to.include(newest.tag);
    expect(tags.length, `${repository} keeps the 3 newest tags`).to.be.at.most(3);
    for (const tag of tags) {
      const out = join((await tempDir('gc-race-pull')).path, 'layout');
      assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${target.hosts[0]}/${repository}:${tag}`, `oci:${out}:${tag}`]));
    }
  }

  // The store holds exactly what the remaining images reference: nothing leaked, nothing missing.
  const stored = new Set((await scanBlobs(await target.driver())).keys());
  const referenced = await referencedBlobs(client, repositories);
  const missing = [...referenced].filter((d) => !stored.has(d));
  const leaked = [...stored].filter((d) => !referenced.has(d));
  expect(missing, 'referenced but not stored').to.deep.equal([]);
  expect(leaked, 'stored but referenced by nothing').to.deep.equal([]);
  const seconds = runs.map((line) => (JSON.parse(line) as { durationMs: number }).durationMs / 1000);
  process.stdout.write(`      race: ${stats.pushed} images pushed, ${stats.retried} manifest PUTs refused and pushed again, ${runs.length} collections (longest ${Math.max(...seconds).toFixed(1)}s)\n`);
}

describe('garbage collection racing pushes @e2e', function () {
  this.timeout(180_000);
  after(cleanupTestbed);

  it('on two replicas sharing one filesystem root, locking in etcd: every acknowledged image stays whole', async () => {
    const etcd = await startEtcd();
    const config = { ...GC_CONFIG, storage: { gc: { ...GC_CONFIG.storage.gc, etcd: { endpoints: [etcd.endpoint], key: '/gc-race/lock' } } } };
    const a = await startRegistryProcess({ config });
    const b = await startRegistryProcess({ config, rootDirectory: a.rootDirectory });
    const logs = async () => `${await readFile(a.process.logFile, 'utf8')}\n${await readFile(b.process.logFile, 'utf8')}`;
    await race({
      clients: [new RegistryApiClient(a.url), new RegistryApiClient(b.url)],
      hosts: [a.host, b.host],
      driver: async () => new FilesystemDriver({ rootDirectory: a.rootDirectory }),
      logs,
      minRuns: 5,
      minDeleted: 20,
    });
    const busy = (await logs()).split('\n').filter((line) => line.includes('gc skipped: another replica is collecting')).length;
    expect(busy, 'runs skipped because the other replica held the etcd lock').to.be.greaterThan(0);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('on two replicas sharing one S3 bucket: one sweep at a time, and every acknowledged image stays whole', async () => {
    const s3: S3rver = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const base = JSON.parse(s3ConfigText(s3, { bucket, rootdirectory: '/gc-race' })) as Record<string, Record<string, unknown>>;
    const config = JSON.stringify({ ...base, storage: { ...base.storage, ...GC_CONFIG.storage }, retention: GC_CONFIG.retention });
    const [a, b] = await Promise.all([startS3Registry({ configText: config }), startS3Registry({ configText: config })]);
    await race({
      clients: [new RegistryApiClient(a.url), new RegistryApiClient(b.url)],
      hosts: [a.host, b.host],
      driver: async () => {
        const { S3Driver } = await import('../../src/storage/s3/s3-driver.js');
        const { parseS3Settings } = await import('../../src/storage/s3/s3-settings.js');
        return new S3Driver({ settings: parseS3Settings((base.storage as Record<string, Record<string, unknown>>).s3 as Record<string, unknown>, () => undefined), redirectDisabled: true });
      },
      logs: async () => `${await a.logText()}\n${await b.logText()}`,
      minRuns: 2,
      minDeleted: 3,
    });
    const busy = `${await a.logText()}\n${await b.logText()}`.split('\n').filter((line) => line.includes('gc skipped: another replica is collecting')).length;
    process.stdout.write(`      replicas: ${busy} runs skipped because the other replica held the lock\n`);
    await Promise.all([a.stop(), b.stop()]);
  });
});
