// Pushing a blob in chunks: POST, PATCH (end-5), GET status (end-13), closing PUT (end-6), DELETE to cancel.
import { expect } from 'chai';
import { contentOf, randomBlob, sha256, uniqueRepository } from './oci-content.js';
import { expectRegistryError, uploadRange } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: chunked blob push', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('blob-push-chunked');

  async function pulled(digest: string): Promise<Buffer | null> {
    const response = await fixture.client.get(`/v2/${repository}/blobs/${digest}`);
    return response.status === 200 ? response.body : null;
  }

  describe('PATCH with Content-Range', function () {
    it('answers the first chunk with 202, Range: 0-<last byte> and a Location', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      expect(response.status, response.text).to.equal(202);
      expect(response.header('range')).to.equal('0-999');
      expect(response.header('location')).to.be.a('string').and.not.equal('');
    });

    it('appends consecutive chunks and reports the whole range so far', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      const second = await fixture.client.patchChunk(fixture.client.resolve(first.header('location')!), blob.bytes.subarray(1000, 2500), 1000);
      expect(second.status, second.text).to.equal(202);
      expect(second.header('range')).to.equal('0-2499');
    });

    it('completes with a PUT without body and serves the assembled blob byte-exact', async function () {
      const blob = randomBlob(3000);
      let location = (await fixture.client.startUpload(repository)).location;
      for (let offset = 0; offset < blob.size; offset += 1000) {
        const response = await fixture.client.patchChunk(location, blob.bytes.subarray(offset, offset + 1000), offset);
        expect(response.status, response.text).to.equal(202);
        location = fixture.client.resolve(response.header('location')!);
      }
      const done = await fixture.client.completeUpload(location, blob.digest);
      expect(done.status, done.text).to.equal(201);
      expect(done.header('docker-content-digest')).to.equal(blob.digest);
      expect(done.header('location')).to.be.a('string').and.not.equal('');
      expect((await pulled(blob.digest))?.equals(blob.bytes)).to.equal(true);
    });

    it('completes with the final chunk carried by the closing PUT', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 2000), 0);
      const done = await fixture.client.completeUpload(fixture.client.resolve(first.header('location')!), blob.digest, blob.bytes.subarray(2000), {
        'Content-Range': '2000-2999',
      });
      expect(done.status, done.text).to.equal(201);
      expect((await pulled(blob.digest))?.equals(blob.bytes)).to.equal(true);
    });

    it('accepts a chunk labelled application/x-www-form-urlencoded', async function () {
      const blob = contentOf('x=1&y=2&z=3');
      const session = await fixture.client.startUpload(repository);
      const chunk = await fixture.client.patchChunk(session.location, blob.bytes, 0, { 'Content-Type': 'application/x-www-form-urlencoded' });
      expect(chunk.status, chunk.text).to.equal(202);
      expect(chunk.header('range')).to.equal(`0-${blob.size - 1}`);
      const done = await fixture.client.completeUpload(fixture.client.resolve(chunk.header('location')!), blob.digest);
      expect(done.status, done.text).to.equal(201);
      expect((await pulled(blob.digest))?.equals(blob.bytes)).to.equal(true);
    });

    it('rejects a Content-Range whose length disagrees with Content-Length with 400 SIZE_INVALID', async function () {
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.patchChunk(session.location, randomBlob(5).bytes, 0, { 'Content-Range': '0-9' });
      expectRegistryError(response, 400, 'SIZE_INVALID');
      const status = await fixture.client.get(session.location);
      expect(status.header('range')).to.equal(uploadRange(0));
    });
  });

  describe('PATCH streamed without Content-Range', function () {
    it('appends the streamed bytes and reports the new Range', async function () {
      const blob = randomBlob(4000);
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.patchStream(session.location, blob.bytes);
      expect(response.status, response.text).to.equal(202);
      expect(response.header('range')).to.equal('0-3999');
      expect(response.header('location')).to.be.a('string').and.not.equal('');
    });

    it('appends two streamed chunks in order and completes byte-exact', async function () {
      const blob = randomBlob(4000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchStream(session.location, blob.bytes.subarray(0, 1500));
      const second = await fixture.client.patchStream(fixture.client.resolve(first.header('location')!), blob.bytes.subarray(1500));
      expect(second.header('range')).to.equal('0-3999');
      const done = await fixture.client.completeUpload(fixture.client.resolve(second.header('location')!), blob.digest);
      expect(done.status, done.text).to.equal(201);
      expect((await pulled(blob.digest))?.equals(blob.bytes)).to.equal(true);
    });
  });

  describe('out-of-order chunks', function () {
    it('answers a chunk that skips ahead with 416, the current Range and a Location', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      const skipped = await fixture.client.patchChunk(fixture.client.resolve(first.header('location')!), blob.bytes.subarray(2000), 2000);
      expect(skipped.status).to.equal(416);
      expect(skipped.header('range')).to.equal('0-999');
      expect(skipped.header('location')).to.be.a('string').and.not.equal('');
    });

    it('answers an overlapping chunk with 416 and the current Range', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      const overlap = await fixture.client.patchChunk(fixture.client.resolve(first.header('location')!), blob.bytes.subarray(500, 1500), 500);
      expect(overlap.status).to.equal(416);
      expect(overlap.header('range')).to.equal('0-999');
    });

    it('answers a first chunk that does not start at 0 with 416', async function () {
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.patchChunk(session.location, randomBlob(100).bytes, 10);
      expect(response.status).to.equal(416);
    });

    it('answers a Content-Range whose start is past its end with 416', async function () {
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.patchChunk(session.location, randomBlob(10).bytes, 0, { 'Content-Range': '9-0' });
      expect(response.status).to.equal(416);
    });

    it('keeps the upload intact after a rejected chunk, so it can resume and complete', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      const location = fixture.client.resolve(first.header('location')!);
      await fixture.client.patchChunk(location, randomBlob(1000).bytes, 500);
      const status = await fixture.client.get(location);
      expect(status.header('range')).to.equal('0-999');
      const resumed = await fixture.client.patchChunk(fixture.client.resolve(status.header('location')!), blob.bytes.subarray(1000), 1000);
      expect(resumed.status, resumed.text).to.equal(202);
      const done = await fixture.client.completeUpload(fixture.client.resolve(resumed.header('location')!), blob.digest);
      expect(done.status, done.text).to.equal(201);
      expect((await pulled(blob.digest))?.equals(blob.bytes)).to.equal(true);
    });

    it('answers a closing PUT whose final chunk is out of order with 416', async function () {
      const blob = randomBlob(3000);
      const session = await fixture.client.startUpload(repository);
      const first = await fixture.client.patchChunk(session.location, blob.bytes.subarray(0, 1000), 0);
      const done = await fixture.client.completeUpload(fixture.client.resolve(first.header('location')!), blob.digest, blob.bytes.subarray(2000), {
        'Content-Range': '2000-2999',
      });
      expect(done.status).to.equal(416);
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });
  });

  describe('GET the upload status', function () {
    it('answers 204 with Range, Location and Docker-Upload-UUID', async function () {
      const blob = randomBlob(1234);
      const session = await fixture.client.startUpload(repository);
      const chunk = await fixture.client.patchChunk(session.location, blob.bytes, 0);
      const status = await fixture.client.get(fixture.client.resolve(chunk.header('location')!));
      expect(status.status).to.equal(204);
      expect(status.header('range')).to.equal('0-1233');
      expect(status.header('location')).to.be.a('string').and.not.equal('');
      expect(status.header('docker-upload-uuid')).to.equal(session.response.header('docker-upload-uuid'));
      expect(status.body.length).to.equal(0);
    });

    it('reports a fresh session as Range: 0-0', async function () {
      const session = await fixture.client.startUpload(repository);
      const status = await fixture.client.get(session.location);
      expect(status.status).to.equal(204);
      expect(status.header('range')).to.equal(uploadRange(0));
    });
  });

  describe('completing and cancelling', function () {
    it('completes an empty session as the empty blob', async function () {
      const empty = contentOf(Buffer.alloc(0));
      const session = await fixture.client.startUpload(repository);
      const done = await fixture.client.completeUpload(session.location, empty.digest);
      expect(done.status, done.text).to.equal(201);
      expect((await pulled(empty.digest))?.length).to.equal(0);
    });

    it('rejects a closing digest that does not match the chunks with 400 DIGEST_INVALID and stores nothing', async function () {
      const blob = randomBlob(2000);
      const session = await fixture.client.startUpload(repository);
      const chunk = await fixture.client.patchChunk(session.location, blob.bytes, 0);
      const wrong = sha256(Buffer.from(`wrong ${blob.digest}`));
      const done = await fixture.client.completeUpload(fixture.client.resolve(chunk.header('location')!), wrong);
      expectRegistryError(done, 400, 'DIGEST_INVALID');
      expect(await fixture.client.blobExists(repository, wrong)).to.equal(false);
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });

    it('cancels a session with DELETE 204, after which its URL answers 404 BLOB_UPLOAD_UNKNOWN', async function () {
      const session = await fixture.client.startUpload(repository);
      const chunk = await fixture.client.patchChunk(session.location, randomBlob(100).bytes, 0);
      const location = fixture.client.resolve(chunk.header('location')!);
      const cancelled = await fixture.client.delete(location);
      expect(cancelled.status).to.equal(204);
      expectRegistryError(await fixture.client.get(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('refuses chunks and completion on a cancelled session with 404 BLOB_UPLOAD_UNKNOWN', async function () {
      const blob = randomBlob(100);
      const session = await fixture.client.startUpload(repository);
      await fixture.client.delete(session.location);
      expectRegistryError(await fixture.client.patchChunk(session.location, blob.bytes, 0), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectRegistryError(await fixture.client.completeUpload(session.location, blob.digest, blob.bytes), 404, 'BLOB_UPLOAD_UNKNOWN');
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });
  });

  describe('unknown sessions', function () {
    const ids = ['0b2b0a5e-6f55-4d6a-9d1e-3f6f1d0e2c11', 'not-a-uuid', 'AAAAAAAA'];
    for (const id of ids) {
      it(`answers GET, PATCH, PUT and DELETE on upload id "${id}" with 404 BLOB_UPLOAD_UNKNOWN`, async function () {
        const path = `/v2/${repository}/blobs/uploads/${id}`;
        const blob = randomBlob(10);
        expectRegistryError(await fixture.client.get(path), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectRegistryError(await fixture.client.patchChunk(path, blob.bytes, 0), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectRegistryError(await fixture.client.completeUpload(path, blob.digest, blob.bytes), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectRegistryError(await fixture.client.delete(path), 404, 'BLOB_UPLOAD_UNKNOWN');
      });
    }

    it('does not let an encoded path in the upload id escape the repository', async function () {
      const response = await fixture.client.get(`/v2/${repository}/blobs/uploads/..%2F..%2F..%2Fetc`);
      expectRegistryError(response, [400, 404], ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']);
    });
  });
});
