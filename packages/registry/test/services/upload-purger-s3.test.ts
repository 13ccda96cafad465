// The upload purger on an S3 store: sessions older than the age go, and the driver is asked to abort
// multipart uploads a crash left open. s3rver has no ListMultipartUploads (501): the purger reports
// "unsupported" (the operator's lifecycle rule then does it) and still purges the sessions.
import { expect } from 'chai';
import { cleanupTestbed, startS3rver, type S3rver } from '@private-registry/testbed';
import { pathFor } from '../../src/storage/path-spec.js';
import { purgeUploads } from '../../src/services/upload-purger.js';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Settings } from '../../src/storage/s3/s3-settings.js';

describe('upload purging on S3 @e2e', function () {
  this.timeout(30_000);
  let s3: S3rver;
  after(cleanupTestbed);

  it('purges old sessions and reports that s3rver cannot list open multipart uploads', async () => {
    s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const settings = parseS3Settings(
      { accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: s3.endpoint, bucket, rootdirectory: '/purge' },
      () => undefined,
    );
    const driver = new S3Driver({ settings, redirectDisabled: true, tuning: { maxAttempts: 1 } });
    const name = 'team/app';
    const old = '00000000-0000-4000-8000-000000000001';
    const fresh = '00000000-0000-4000-8000-000000000002';
    await driver.putContent(pathFor({ kind: 'uploadStartedAt', name, id: old }), Buffer.from(new Date(Date.now() - 8 * 86_400_000).toISOString()));
    await driver.putContent(pathFor({ kind: 'uploadData', name, id: old }), Buffer.from('half a layer'));
    await driver.putContent(pathFor({ kind: 'uploadStartedAt', name, id: fresh }), Buffer.from(new Date().toISOString()));

    const result = await purgeUploads(driver, { ageMs: 7 * 86_400_000, dryRun: false });

    expect(result.purged).to.deep.equal([`${name}/${old}`]);
    expect(result.incompleteWrites).to.equal('unsupported');
    expect(await driver.list(pathFor({ kind: 'uploadsRoot', name }))).to.deep.equal([pathFor({ kind: 'uploadDir', name, id: fresh })]);
  });
});
