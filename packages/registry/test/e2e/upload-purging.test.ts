// storage.maintenance.uploadpurging really runs in the server, on the filesystem and on S3: an abandoned upload
// session is gone after the purge, one in progress (younger than the age) stays.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { cleanupTestbed, startRegistryProcess, startS3rver } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { s3ConfigText, startS3Registry } from './s3-registry.js';

const PURGING = { maintenance: { uploadpurging: { enabled: true, age: '2s', interval: '1s' } } };

async function expectPurged(client: RegistryApiClient, logs: () => Promise<string>): Promise<void> {
  const abandoned = await client.startUpload('purge/app');
  await new Promise((resolve) => setTimeout(resolve, 3500));
  const fresh = await client.startUpload('purge/app');
  expect((await client.get(abandoned.location)).status, 'the abandoned session').to.equal(404);
  expect((await client.get(fresh.location)).status, 'a session younger than the age').to.equal(204);
  const runs = (await logs()).split('\n').filter((line) => line.includes('"msg":"upload purge finished"'));
  expect(runs.some((line) => (JSON.parse(line) as { purged: number }).purged >= 1), runs.join('\n')).to.equal(true);
}

describe('upload purging in the server @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('purges abandoned uploads on the filesystem', async () => {
    const registry = await startRegistryProcess({ config: { storage: PURGING } });
    await expectPurged(new RegistryApiClient(registry.url), () => readFile(registry.process.logFile, 'utf8'));
    await registry.stop();
  });

  it('purges abandoned uploads on S3', async () => {
    const s3 = await startS3rver({ silent: true });
    const base = JSON.parse(s3ConfigText(s3, { bucket: await s3.createBucket() })) as { storage: Record<string, unknown> };
    const registry = await startS3Registry({ configText: JSON.stringify({ ...base, storage: { ...base.storage, ...PURGING } }) });
    await expectPurged(new RegistryApiClient(registry.url), () => registry.logText());
    await registry.stop();
  });
});
