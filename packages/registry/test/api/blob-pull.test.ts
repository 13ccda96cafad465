// Pulling blobs (end-2): GET and HEAD /v2/<name>/blobs/<digest>, including RFC 9110 range requests.
import { expect } from 'chai';
import { type Content, randomBlob, uniqueRepository, unknownDigest, contentOf } from './oci-content.js';
import { expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: pulling blobs', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('blob-pull');
  const blob: Content = randomBlob(10_000);
  const blobPath = `/v2/${repository}/blobs/${blob.digest}`;

  before(async function () {
    await fixture.client.pushBlob(repository, blob);
  });

  describe('GET', function () {
    it('serves an existing blob with 200 and exactly its bytes', async function () {
      const response = await fixture.client.get(blobPath);
      expect(response.status).to.equal(200);
      expect(response.body.equals(blob.bytes)).to.equal(true);
    });

    it('sends Docker-Content-Digest equal to the digest of the body', async function () {
      const response = await fixture.client.get(blobPath);
      expect(response.header('docker-content-digest')).to.equal(blob.digest);
    });

    it('sends Content-Length equal to the blob size', async function () {
      const response = await fixture.client.get(blobPath);
      expect(response.header('content-length')).to.equal(String(blob.size));
    });

    it('sends Content-Type application/octet-stream', async function () {
      const response = await fixture.client.get(blobPath);
      expect(response.header('content-type')).to.equal('application/octet-stream');
    });

    it('advertises Accept-Ranges: bytes', async function () {
      const response = await fixture.client.get(blobPath);
      expect(response.header('accept-ranges')).to.equal('bytes');
    });

    it('serves a 5 MiB blob byte-exact', async function () {
      const large = randomBlob(5 * 1024 * 1024);
      await fixture.client.pushBlob(repository, large);
      const response = await fixture.client.get(`/v2/${repository}/blobs/${large.digest}`);
      expect(response.status).to.equal(200);
      expect(response.body.equals(large.bytes)).to.equal(true);
    });

    it('serves the empty blob with 200 and Content-Length 0', async function () {
      const empty = contentOf(Buffer.alloc(0));
      await fixture.client.pushBlob(repository, empty);
      const response = await fixture.client.get(`/v2/${repository}/blobs/${empty.digest}`);
      expect(response.status).to.equal(200);
      expect(response.header('content-length')).to.equal('0');
      expect(response.header('docker-content-digest')).to.equal(empty.digest);
      expect(response.body.length).to.equal(0);
    });

    it('answers an unknown blob with 404 BLOB_UNKNOWN', async function () {
      const response = await fixture.client.get(`/v2/${repository}/blobs/${unknownDigest()}`);
      expectRegistryError(response, 404, 'BLOB_UNKNOWN');
    });

    it('answers a blob in an unknown repository with 404', async function () {
      const response = await fixture.client.get(`/v2/${uniqueRepository('nowhere')}/blobs/${blob.digest}`);
      expectRegistryError(response, 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
    });

    it('does not serve a blob through a repository it was never pushed or mounted to', async function () {
      const other = uniqueRepository('blob-pull-other');
      await fixture.client.pushBlob(other);
      const response = await fixture.client.get(`/v2/${other}/blobs/${blob.digest}`);
      expectRegistryError(response, 404, 'BLOB_UNKNOWN');
    });
  });

  describe('HEAD', function () {
    it('answers an existing blob with 200, its digest and size, and no body', async function () {
      const response = await fixture.client.head(blobPath);
      expect(response.status).to.equal(200);
      expect(response.header('docker-content-digest')).to.equal(blob.digest);
      expect(response.header('content-length')).to.equal(String(blob.size));
      expect(response.body.length).to.equal(0);
    });

    it('sends the same Content-Type and Accept-Ranges as GET', async function () {
      const response = await fixture.client.head(blobPath);
      expect(response.header('content-type')).to.equal('application/octet-stream');
      expect(response.header('accept-ranges')).to.equal('bytes');
    });

    it('answers an unknown blob with 404 and no body', async function () {
      const response = await fixture.client.head(`/v2/${repository}/blobs/${unknownDigest()}`);
      expect(response.status).to.equal(404);
      expect(response.body.length).to.equal(0);
    });
  });

  describe('Range requests', function () {
    it('serves bytes=a-b as 206 with Content-Range and exactly those bytes', async function () {
      const response = await fixture.client.get(blobPath, { Range: 'bytes=100-1099' });
      expect(response.status).to.equal(206);
      expect(response.header('content-range')).to.equal(`bytes 100-1099/${blob.size}`);
      expect(response.header('content-length')).to.equal('1000');
      expect(response.body.equals(blob.bytes.subarray(100, 1100))).to.equal(true);
    });

    it('serves an open-ended range bytes=a- up to the last byte', async function () {
      const response = await fixture.client.get(blobPath, { Range: 'bytes=9000-' });
      expect(response.status).to.equal(206);
      expect(response.header('content-range')).to.equal(`bytes 9000-9999/${blob.size}`);
      expect(response.body.equals(blob.bytes.subarray(9000))).to.equal(true);
    });

    it('serves a suffix range bytes=-n as the last n bytes', async function () {
      const response = await fixture.client.get(blobPath, { Range: 'bytes=-10' });
      expect(response.status).to.equal(206);
      expect(response.header('content-range')).to.equal(`bytes 9990-9999/${blob.size}`);
      expect(response.body.equals(blob.bytes.subarray(9990))).to.equal(true);
    });

    it('clamps a range that runs past the end to the last byte', async function () {
      const response = await fixture.client.get(blobPath, { Range: 'bytes=9995-20000' });
      expect(response.status).to.equal(206);
      expect(response.header('content-range')).to.equal(`bytes 9995-9999/${blob.size}`);
      expect(response.body.equals(blob.bytes.subarray(9995))).to.equal(true);
    });

    it('resumes an interrupted pull: two ranges concatenate to the blob', async function () {
      const first = await fixture.client.get(blobPath, { Range: 'bytes=0-4999' });
      const second = await fixture.client.get(blobPath, { Range: 'bytes=5000-' });
      expect(Buffer.concat([first.body, second.body]).equals(blob.bytes)).to.equal(true);
    });

    it('answers a range that starts past the end with 416', async function () {
      const response = await fixture.client.get(blobPath, { Range: `bytes=${blob.size}-${blob.size + 100}` });
      expect(response.status).to.equal(416);
    });

    it('tells the size in Content-Range: bytes */<size> on a 416', async function () {
      const response = await fixture.client.get(blobPath, { Range: 'bytes=20000-30000' });
      expect(response.status).to.equal(416);
      expect(response.header('content-range')).to.equal(`bytes */${blob.size}`);
    });
  });
});
