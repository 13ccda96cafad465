// A store that stops answering (a fault proxy in front of s3rver that hangs): every call fails within
// maxAttempts × idleTimeout as StorageUnavailableError (the registry's 503), never hangs, never leaks a secret.
import { randomBytes } from 'node:crypto';
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

  it('streams a blob after riding out 503s, and gives up after maxAttempts naming neither URL nor signature', async () => {
    const s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const fault = await startHttpFaultProxy(s3.endpoint);
    const settings = parseS3Settings(
      { accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: fault.url, bucket, rootdirectory: '/busy' },
      () => undefined,
    );
    const driver = new S3Driver({ settings, redirectDisabled: true, tuning: { maxAttempts: 4, idleTimeoutMs: 2_000, connectTimeoutMs: 1_000 } });
    const bytes = randomBytes(3 * 1024 * 1024);
    await driver.putContent('/docker/registry/v2/blob', bytes);
    const gets = (): number => fault.requests.filter((r) => r.method === 'GET').length;

    // Busy for the first attempt only: a later one streams the whole object.
    fault.setMode({ kind: 'status', status: 503 });
    const before = gets();
    const reading = driver.reader('/docker/registry/v2/blob', 1024);
    while (gets() === before) await new Promise((resolve) => setTimeout(resolve, 5));
    fault.setMode({ kind: 'pass' });
    expect(Buffer.concat(await (await reading).toArray())).to.deep.equal(bytes.subarray(1024));
    expect(gets() - before).to.be.within(2, 4);

    // Busy throughout: four attempts, then the registry's 503.
    fault.setMode({ kind: 'status', status: 503 });
    const start = gets();
    const error = await driver.reader('/docker/registry/v2/blob').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(StorageUnavailableError);
    expect(gets() - start).to.equal(4);
    const message = String((error as Error).message);
    expect(message).to.include('GetObject /docker/registry/v2/blob').and.include('HTTP 503').and.include('after 4 attempts');
    expect(message).not.to.match(/X-Amz-|Signature|http:/i);
    expect(message).not.to.include(s3.accessKey);
  });
});
