// A store that stops answering (a fault proxy in front of s3rver that hangs): every call fails within
// maxAttempts × idleTimeout as StorageUnavailableError (the registry's 503), never hangs, never leaks a secret.
import { expect } from 'chai';
import { cleanupTestbed, startHttpFaultProxy, startS3rver } from '@private-registry/testbed';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Settings } from '../../src/storage/s3/s3-settings.js';
import { StorageUnavailableError } from '../../src/storage/storage-errors.js';

describe('S3 driver against a store that stops answering @e2e', function () {
  this.timeout(30_000);
  after(cleanupTestbed);

  it('gives up after its bounded retries with StorageUnavailableError, and works again once the store answers', async () => {
    const s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const fault = await startHttpFaultProxy(s3.endpoint);
    const settings = parseS3Settings(
      { accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: fault.url, bucket, rootdirectory: '/slow' },
      () => undefined,
    );
    const driver = new S3Driver({ settings, redirectDisabled: true, tuning: { maxAttempts: 2, idleTimeoutMs: 1_000, connectTimeoutMs: 1_000 } });
    await driver.putContent('/docker/registry/v2/x', Buffer.from('before the hang'));

    fault.setMode({ kind: 'hang' });
    const started = Date.now();
    const error = await driver.getContent('/docker/registry/v2/x').then(
      () => undefined,
      (err: unknown) => err,
    );
    const tookMs = Date.now() - started;

    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(String((error as Error).message)).not.to.include(s3.secretKey);
    // Two attempts of at most a 1 s silence each, plus backoff: well under 5 s.
    expect(tookMs).to.be.within(1_000, 5_000);
    fault.setMode({ kind: 'pass' });
    expect((await driver.getContent('/docker/registry/v2/x')).toString()).to.equal('before the hang');
  });
});
