// On S3 a move copies every byte, so a blob whose whole body comes with its digest (POST ?digest=, or the PUT
// that completes an empty upload) is written straight to its place through the driver's staged writer: visible
// only once verified, never written under the upload, never copied. Against s3rver behind a recording proxy.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { cleanupTestbed, startHttpFaultProxy, startS3rver, type HttpFaultProxy } from '@private-registry/testbed';
import { digestOf, parseDigest } from '../../src/oci/digest.js';
import { RegistryError } from '../../src/oci/registry-errors.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Settings } from '../../src/storage/s3/s3-settings.js';
import { isPathNotFound } from '../../src/storage/storage-errors.js';

const POLICY = { deleteEnabled: false, readOnly: false, catalogMaxEntries: 100 };
const MiB = 1024 * 1024;

describe('whole-blob uploads on S3 go straight to their place @e2e', function () {
  this.timeout(60_000);
  let proxy: HttpFaultProxy;
  let driver: S3Driver;
  let services: RegistryServices;
  after(cleanupTestbed);

  before(async () => {
    const s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    proxy = await startHttpFaultProxy(s3.endpoint);
    // A small chunk size: the 12 MiB blob below is a multipart upload of three parts.
    const settings = parseS3Settings(
      { accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: proxy.url, bucket, chunksize: 5 * MiB },
      () => undefined,
    );
    driver = new S3Driver({ settings, redirectDisabled: true });
    services = new RegistryServices(driver, POLICY);
  });

  /** Requests that wrote under the upload, or copied an object (x-amz-copy-source is a header: a PUT to the blob with no part number). */
  function writesSince(start: number): { upload: string[]; blob: string[] } {
    const seen = proxy.requests.slice(start).filter((r) => r.method === 'PUT' || r.method === 'POST');
    return {
      upload: seen.filter((r) => r.path.includes('/_uploads/') && r.path.includes('/data')).map((r) => `${r.method} ${r.path.split('?')[1] ?? ''}`),
      blob: seen.filter((r) => r.path.includes('/blobs/sha256/')).map((r) => `${r.method} ${r.path.split('?')[1] ?? ''}`),
    };
  }

  it('writes a 12 MiB blob as a multipart upload at its own key, and nothing under the upload but the empty start', async () => {
    const content = randomBytes(12 * MiB);
    const digest = digestOf(content);
    const start = proxy.requests.length;
    const blob = await services.uploads.uploadWhole('team/app', digest, Readable.from([content.subarray(0, 7 * MiB), content.subarray(7 * MiB)]), { length: content.length });

    expect(blob).to.deep.equal({ digest, size: content.length });
    const writes = writesSince(start);
    // The session's empty data object, written when it started; no part, no copy.
    expect(writes.upload).to.deep.equal(['PUT x-id=PutObject']);
    expect(writes.blob.filter((w) => w.startsWith('POST ') && w.includes('uploads'))).to.have.length(1);
    expect(writes.blob.filter((w) => w.includes('partNumber='))).to.have.length(3);
    expect(writes.blob.filter((w) => w.includes('CopyObject') || w.includes('UploadPartCopy'))).to.deep.equal([]);
    expect(Buffer.concat(await (await driver.reader(pathFor({ kind: 'blobData', digest }))).toArray())).to.deep.equal(content);
    expect(await services.blobs.find('team/app', digest)).to.deep.equal({ digest, size: content.length });
    // The session is gone.
    expect(await driver.list(pathFor({ kind: 'uploadsRoot', name: 'team/app' })).catch((err: unknown) => (isPathNotFound(err) ? [] : Promise.reject(err)))).to.deep.equal([]);
  });

  it('refuses a body whose digest is not the one given: nothing appears at either digest, and the session ends', async () => {
    const content = randomBytes(6 * MiB);
    const claimed = parseDigest(`sha256:${'ab'.repeat(32)}`);
    const session = await services.uploads.start('team/app');
    const error = await services.uploads.complete('team/app', session.id, claimed, Readable.from([content])).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(RegistryError);
    expect((error as RegistryError).code).to.equal('DIGEST_INVALID');
    for (const digest of [claimed, digestOf(content)]) {
      expect(await driver.stat(pathFor({ kind: 'blobData', digest })).catch((err: unknown) => err)).to.satisfy(isPathNotFound);
    }
    expect(await services.uploads.status('team/app', session.id).catch((err: unknown) => (err as RegistryError).code)).to.equal('BLOB_UPLOAD_UNKNOWN');
  });

  it('refuses a body shorter than its Content-Length, stores nothing, and keeps the session for another try', async () => {
    const content = randomBytes(1024);
    const digest = digestOf(content);
    const session = await services.uploads.start('team/app');
    const error = await services.uploads.complete('team/app', session.id, digest, Readable.from([content]), { length: 2048 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((error as RegistryError).code).to.equal('SIZE_INVALID');
    expect(await driver.stat(pathFor({ kind: 'blobData', digest })).catch((err: unknown) => err)).to.satisfy(isPathNotFound);
    expect(await services.uploads.status('team/app', session.id)).to.deep.equal({ name: 'team/app', id: session.id, size: 0 });
    // The same session then completes with the right length.
    expect(await services.uploads.complete('team/app', session.id, digest, Readable.from([content]), { length: 1024 })).to.deep.equal({ digest, size: 1024 });
  });

  it('leaves a stored blob alone when a client that goes away halfway pushes it again', async () => {
    const content = randomBytes(11 * MiB);
    const digest = digestOf(content);
    await services.uploads.uploadWhole('team/app', digest, Readable.from([content]));
    const before = await driver.stat(pathFor({ kind: 'blobData', digest }));
    const session = await services.uploads.start('team/other');
    const broken = new Readable({ read() {} });
    broken.push(content.subarray(0, 6 * MiB));
    setTimeout(() => broken.destroy(new Error('client went away')), 50);
    const error = await services.uploads.complete('team/other', session.id, digest, broken).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(Error);
    const after = await driver.stat(pathFor({ kind: 'blobData', digest }));
    expect(after.size).to.equal(content.length);
    expect(after.modTime.getTime()).to.equal(before.modTime.getTime());
    expect(Buffer.concat(await (await driver.reader(pathFor({ kind: 'blobData', digest }))).toArray())).to.deep.equal(content);
    expect(await services.blobs.find('team/other', digest)).to.equal(null);
  });
});
