import { expect } from 'chai';
import { Readable } from 'node:stream';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { purgeUploads } from '../../src/services/upload-purger.js';

const HOUR = 3_600_000;

async function setup() {
  const driver = new MemoryDriver();
  const services = new RegistryServices(driver, { deleteEnabled: false, readOnly: false, catalogMaxEntries: 100 });
  const upload = await services.uploads.start('team/app');
  await services.uploads.append('team/app', upload.id, Readable.from([Buffer.from('partial')]));
  return { driver, services, upload };
}

describe('upload purging', () => {
  it('deletes an upload older than the configured age, in any repository', async () => {
    const { driver, services, upload } = await setup();
    const result = await purgeUploads(driver, { ageMs: HOUR, dryRun: false }, Date.now() + 2 * HOUR);
    expect(result.scanned).to.equal(1);
    expect(result.purged).to.deep.equal([`team/app/${upload.id}`]);
    await services.uploads.status('team/app', upload.id).then(
      () => expect.fail('the purged upload still answers'),
      (err: { code?: string }) => expect(err.code).to.equal('BLOB_UPLOAD_UNKNOWN'),
    );
  });

  it('keeps an upload younger than the configured age', async () => {
    const { driver, services, upload } = await setup();
    const result = await purgeUploads(driver, { ageMs: HOUR, dryRun: false });
    expect(result.purged).to.deep.equal([]);
    expect((await services.uploads.status('team/app', upload.id)).size).to.equal(7);
  });

  it('only reports what it would delete in a dry run', async () => {
    const { driver, services, upload } = await setup();
    const result = await purgeUploads(driver, { ageMs: HOUR, dryRun: true }, Date.now() + 2 * HOUR);
    expect(result.purged).to.have.length(1);
    expect((await services.uploads.status('team/app', upload.id)).size).to.equal(7);
  });

  it('finds nothing to do in an empty store', async () => {
    const result = await purgeUploads(new MemoryDriver(), { ageMs: 0, dryRun: false });
    expect(result).to.deep.equal({ scanned: 0, purged: [] });
  });
});
