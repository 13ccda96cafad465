// The S3 driver against a real S3 server (s3rver, started here): the shared conformance suite, plus what
// only a bucket can show: distribution's key layout, multipart uploads and appends, copies and batch
// deletes where the store lacks an operation, presigned redirects, and faults that never leak a secret.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'chai';
import { cleanupTestbed, freePort, startS3rver, type S3rver } from '@private-registry/testbed';
import { parseDigest } from '../../src/oci/digest.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { createS3Client } from '../../src/storage/s3/s3-client.js';
import { parseS3Settings, type S3Settings } from '../../src/storage/s3/s3-settings.js';
import { PathNotFoundError, StorageError, StorageUnavailableError } from '../../src/storage/storage-errors.js';
import { readAll, rejectionOf, runDriverSuite } from './driver-suite.js';

const MiB = 1024 * 1024;
/** Marks the secret so a test can prove no message carries it. */
const SECRET_MARK = 'sEcReT-never-shown';

describe('S3 driver against s3rver @e2e', function () {
  let s3: S3rver;
  let bucket: string;
  let roots = 0;

  before(async function () {
    this.timeout(30_000);
    s3 = await startS3rver({ silent: true });
    bucket = await s3.createBucket();
  });
  after(cleanupTestbed);

  /** Settings as an operator writes them, each test under a root directory of its own. */
  const settingsFor = (extra: Record<string, unknown> = {}): S3Settings =>
    parseS3Settings(
      {
        accesskey: s3.accessKey,
        secretkey: s3.secretKey,
        region: s3.region,
        regionendpoint: s3.endpoint,
        bucket,
        rootdirectory: `/run-${process.pid}/t${++roots}`,
        // The smallest part S3 allows, so a few MiB already make a multipart upload.
        chunksize: 5 * MiB,
        ...extra,
      },
      () => undefined,
    );
  const driverFor = (extra: Record<string, unknown> = {}, redirectDisabled = false): S3Driver =>
    new S3Driver({ settings: settingsFor(extra), redirectDisabled, tuning: { maxAttempts: 2, connectTimeoutMs: 2_000 } });

  runDriverSuite('s3 driver (s3rver)', async () => ({ driver: driverFor(), cleanup: async () => undefined }));

  describe('in the bucket', function () {
    it('keeps objects under rootdirectory + path, as registry:2 lays them out', async function () {
      const settings = settingsFor({ rootdirectory: '/prefix/of/registry/' });
      const driver = new S3Driver({ settings, redirectDisabled: true });
      const path = `/docker/registry/v2/repositories/library/alpine/_manifests/tags/3/current/link`;
      await driver.putContent(path, Buffer.from('sha256:abc'));
      const listed = await createS3Client(settings).send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'prefix/of/registry/' }));
      expect(listed.Contents?.map((o) => o.Key)).to.deep.equal([`prefix/of/registry${path}`]);
    });

    it('serves an object written by another S3 client at the registry:2 key', async function () {
      const settings = settingsFor();
      const driver = new S3Driver({ settings, redirectDisabled: true });
      const key = `${settings.rootDirectory}/docker/registry/v2/blobs/sha256/ab/abcd/data`;
      await createS3Client(settings).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'layer bytes' }));
      expect((await readAll(await driver.reader('/docker/registry/v2/blobs/sha256/ab/abcd/data', 6))).toString()).to.equal('bytes');
      expect(await driver.list('/docker/registry/v2/blobs/sha256/ab')).to.deep.equal(['/docker/registry/v2/blobs/sha256/ab/abcd']);
    });

    it('appends to an object of several parts by carrying its bytes into a new upload', async function () {
      this.timeout(60_000);
      const driver = driverFor();
      const first = randomBytes(7 * MiB);
      const second = randomBytes(6 * MiB + 3);
      const writer = await driver.writer('/a/upload/data', false);
      await writer.write(first);
      await writer.close();
      expect((await driver.stat('/a/upload/data')).size).to.equal(first.length);
      const again = await driver.writer('/a/upload/data', true);
      expect(again.size).to.equal(first.length);
      // Small writes, not awaited one by one: they must still land in order.
      await Promise.all(Array.from({ length: Math.ceil(second.length / 65536) }, (_, i) => again.write(second.subarray(i * 65536, (i + 1) * 65536))));
      expect(again.size).to.equal(first.length + second.length);
      await again.commit();
      const content = await driver.getContent('/a/upload/data');
      expect(sha256(content)).to.equal(sha256(Buffer.concat([first, second])));
    });

    it('cancels a multipart upload in progress and removes the object it continued', async function () {
      this.timeout(60_000);
      const driver = driverFor();
      await driver.putContent('/c/upload/data', Buffer.from('kept until cancelled'));
      const writer = await driver.writer('/c/upload/data', true);
      for (let i = 0; i < 12; i++) await writer.write(randomBytes(MiB));
      await writer.cancel();
      await rejectionOf(driver.stat('/c/upload/data'), PathNotFoundError, driver);
      await rejectionOf(writer.write(Buffer.from('late')), StorageError, driver);
    });

    it('moves an object above multipartcopythresholdsize although s3rver has no UploadPartCopy', async function () {
      this.timeout(60_000);
      const driver = driverFor({ multipartcopythresholdsize: 1 * MiB, multipartcopychunksize: 5 * MiB });
      const bytes = randomBytes(6 * MiB);
      await driver.putContent('/m/source', bytes);
      await driver.move('/m/source', '/m/dest');
      expect(sha256(await driver.getContent('/m/dest'))).to.equal(sha256(bytes));
      await rejectionOf(driver.stat('/m/source'), PathNotFoundError, driver);
    });

    it('lists past one page of 1000 keys and deletes a tree of more than 1000 objects', async function () {
      this.timeout(120_000);
      const driver = driverFor();
      const names = Array.from({ length: 1003 }, (_, i) => `/big/dir/f${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 32) await Promise.all(names.slice(i, i + 32).map((n) => driver.putContent(n, Buffer.from(n))));
      await driver.putContent('/big/dir/sub/deeper', Buffer.from('x'));
      const listed = await driver.list('/big/dir');
      expect(listed).to.have.length(1004);
      expect(listed).to.deep.equal([...names, '/big/dir/sub'].sort());
      await driver.delete('/big');
      await rejectionOf(driver.list('/big/dir'), PathNotFoundError, driver);
      expect(await driver.list('/')).to.deep.equal([]);
    });

    it('skips folder marker objects and keys no storage path can address', async function () {
      const settings = settingsFor();
      const driver = new S3Driver({ settings, redirectDisabled: true });
      const client = createS3Client(settings);
      await driver.putContent('/dir/file', Buffer.from('x'));
      for (const key of ['dir/', 'dir/with space']) await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${settings.rootDirectory}/${key}`, Body: Buffer.alloc(0), ContentLength: 0 }));
      expect(await driver.list('/dir')).to.deep.equal(['/dir/file']);
      expect((await driver.stat('/dir')).isDir).to.equal(true);
    });
  });

  describe('as blob storage of the registry', function () {
    it('continues a chunked upload on a second driver (another replica) and completes it there', async function () {
      this.timeout(60_000);
      const settings = settingsFor();
      const replicaA = new RegistryServices(new S3Driver({ settings, redirectDisabled: true }), { deleteEnabled: false, readOnly: false, catalogMaxEntries: 100 });
      const replicaB = new RegistryServices(new S3Driver({ settings, redirectDisabled: true }), { deleteEnabled: false, readOnly: false, catalogMaxEntries: 100 });
      const chunks = [randomBytes(6 * MiB), randomBytes(1 * MiB), randomBytes(5 * MiB + 1)];
      const blob = Buffer.concat(chunks);
      const digest = parseDigest(`sha256:${sha256(blob)}`);
      const session = await replicaA.uploads.start('team/app');
      await replicaA.uploads.append('team/app', session.id, Readable.from([chunks[0]]));
      const status = await replicaB.uploads.append('team/app', session.id, Readable.from([chunks[1]]), { start: chunks[0]!.length });
      expect(status.size).to.equal(chunks[0]!.length + chunks[1]!.length);
      await replicaB.uploads.complete('team/app', session.id, digest, Readable.from([chunks[2]]));
      const found = await replicaA.blobs.stat('team/app', digest);
      expect(found.size).to.equal(blob.length);
      const content = await replicaA.blobs.open(found);
      expect(content.kind).to.equal('stream');
      if (content.kind === 'stream') expect(sha256(await readAll(content.stream))).to.equal(digest.hex);
    });
  });

  describe('redirects', function () {
    it('offers a presigned GET URL that serves the bytes without credentials', async function () {
      const driver = driverFor();
      await driver.putContent('/r/blob', Buffer.from('redirected bytes'));
      const url = await driver.redirectUrl('/r/blob', 'GET');
      expect(url).to.be.a('string').and.match(/^http:\/\/127\.0\.0\.1:\d+\//);
      const response = await fetch(url as string);
      expect(response.status).to.equal(200);
      expect(await response.text()).to.equal('redirected bytes');
    });

    it('offers none when storage.redirect.disable is set, and none for HEAD', async function () {
      await driverFor({}, true).putContent('/r/blob', Buffer.from('x'));
      expect(await driverFor({}, true).redirectUrl('/r/blob', 'GET')).to.equal(null);
      expect(await driverFor().redirectUrl('/r/blob', 'HEAD')).to.equal(null);
    });
  });

  describe('faults', function () {
    it('reports an unreachable S3 as unavailable after bounded retries, naming the path and no secret', async function () {
      this.timeout(30_000);
      const port = await freePort();
      const driver = new S3Driver({
        settings: settingsFor({ regionendpoint: `http://127.0.0.1:${port}`, secretkey: SECRET_MARK }),
        redirectDisabled: true,
        tuning: { maxAttempts: 3, connectTimeoutMs: 1_000 },
      });
      const started = Date.now();
      const err = await rejectionOf(driver.getContent('/x/file'), StorageUnavailableError, driver);
      expect(Date.now() - started).to.be.below(15_000);
      expect(err.message).to.match(/^s3: GetObject \/x\/file: cannot reach S3: ECONNREFUSED after 3 attempts$/);
      expectNoSecret(err);
    });

    it('reports refused credentials as unavailable without showing them', async function () {
      const driver = driverFor({ accesskey: 'WRONGKEY', secretkey: SECRET_MARK });
      const err = await rejectionOf(driver.putContent('/x/file', Buffer.from('x')), StorageUnavailableError, driver);
      expect(err.message).to.include('S3 refused the request').and.include('PutObject /x/file');
      expectNoSecret(err);
    });

    it('reports a missing bucket as unavailable, not as a missing file', async function () {
      const driver = driverFor({ bucket: 'no-such-bucket-here' });
      const err = await rejectionOf(driver.stat('/x/file'), StorageUnavailableError, driver);
      expect(err.message).to.include('NoSuchBucket');
    });
  });
});

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Neither the error, its causes, nor their JSON or inspection may carry the secret. */
function expectNoSecret(err: StorageError): void {
  let text = '';
  for (let e: unknown = err; e instanceof Error; e = e.cause) text += `${e.message}\n${e.stack ?? ''}\n${JSON.stringify(e)}\n`;
  expect(text).to.not.include(SECRET_MARK);
}
