// Pushing a blob monolithically: POST then PUT (end-4a + end-6), and the single POST ?digest= (end-4b).
import { expect } from 'chai';
import { contentOf, randomBlob, sha256, sha512, uniqueRepository } from './oci-content.js';
import { expectRegistryError, uploadRange } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: monolithic blob push', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('blob-push-monolithic');

  describe('POST to start a session', function () {
    it('answers 202 with a Location and a Docker-Upload-UUID', async function () {
      const { response } = await fixture.client.startUpload(repository);
      expect(response.status).to.equal(202);
      expect(response.header('location')).to.be.a('string').and.not.equal('');
      expect(response.header('docker-upload-uuid')).to.be.a('string').and.not.equal('');
    });

    it('puts the session id in the Location, as the spec requires', async function () {
      const { response } = await fixture.client.startUpload(repository);
      expect(response.header('location')).to.include(response.header('docker-upload-uuid')!);
    });

    it('reports an empty session as Range: 0-0, as distribution does', async function () {
      const { response } = await fixture.client.startUpload(repository);
      expect(response.header('range')).to.equal(uploadRange(0));
    });

    it('gives every session its own id', async function () {
      const first = await fixture.client.startUpload(repository);
      const second = await fixture.client.startUpload(repository);
      expect(first.location).to.not.equal(second.location);
    });

    it('advertises OCI-Chunk-Min-Length, if at all, as a positive integer', async function () {
      const { response } = await fixture.client.startUpload(repository);
      const minimum = response.header('oci-chunk-min-length');
      if (minimum !== null) expect(minimum).to.match(/^[1-9][0-9]*$/);
    });
  });

  describe('PUT <location>?digest= with the whole blob', function () {
    it('answers 201 with the blob Location and Docker-Content-Digest', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, blob.digest, blob.bytes);
      expect(response.status).to.equal(201);
      expect(response.header('docker-content-digest')).to.equal(blob.digest);
      expect(response.header('location')).to.be.a('string').and.not.equal('');
    });

    it('makes the blob pullable at the Location it returns', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, blob.digest, blob.bytes);
      const pulled = await fixture.client.get(response.header('location')!);
      expect(pulled.status).to.equal(200);
      expect(pulled.body.equals(blob.bytes)).to.equal(true);
    });

    const BODY_TYPES: Array<[string, Record<string, string>]> = [
      ["curl's default application/x-www-form-urlencoded", { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['application/json', { 'Content-Type': 'application/json' }],
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=xyz' }],
      ['no Content-Type at all', {}],
    ];
    for (const [label, headers] of BODY_TYPES) {
      it(`stores the body byte-exact whatever its Content-Type: ${label}`, async function () {
        // Bodies that a form, JSON or multipart parser would happily consume or rewrite.
        const blob = contentOf(`name=value&other=thing\r\n--xyz\r\n{ "a" :1 } ${label}`);
        const session = await fixture.client.startUpload(repository);
        const response = await fixture.client.request('PUT', `${session.location}${session.location.includes('?') ? '&' : '?'}digest=${blob.digest}`, {
          headers,
          body: blob.bytes,
        });
        expect(response.status, response.text).to.equal(201);
        const pulled = await fixture.client.get(`/v2/${repository}/blobs/${blob.digest}`);
        expect(pulled.body.equals(blob.bytes)).to.equal(true);
      });
    }

    it('lets two sessions push the same blob at once, both completing', async function () {
      const blob = randomBlob(100_000);
      const [first, second] = await Promise.all([fixture.client.startUpload(repository), fixture.client.startUpload(repository)]);
      const [a, b] = await Promise.all([
        fixture.client.completeUpload(first.location, blob.digest, blob.bytes),
        fixture.client.completeUpload(second.location, blob.digest, blob.bytes),
      ]);
      expect([a.status, b.status]).to.deep.equal([201, 201]);
      const pulled = await fixture.client.get(`/v2/${repository}/blobs/${blob.digest}`);
      expect(pulled.body.equals(blob.bytes)).to.equal(true);
    });

    it('accepts the same blob pushed twice', async function () {
      const blob = randomBlob();
      await fixture.client.pushBlob(repository, blob);
      await fixture.client.pushBlob(repository, blob);
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(true);
    });

    it('closes the session once the blob is committed', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      await fixture.client.completeUpload(session.location, blob.digest, blob.bytes);
      const status = await fixture.client.get(session.location);
      expectRegistryError(status, 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('rejects a digest that does not match the content with 400 DIGEST_INVALID', async function () {
      const blob = randomBlob();
      const claimed = sha256(Buffer.from('something else'));
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, claimed, blob.bytes);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
    });

    it('leaves no blob visible after a digest mismatch, under either digest', async function () {
      const blob = randomBlob();
      const claimed = sha256(Buffer.from(`other ${blob.digest}`));
      const session = await fixture.client.startUpload(repository);
      await fixture.client.completeUpload(session.location, claimed, blob.bytes);
      expect(await fixture.client.blobExists(repository, claimed)).to.equal(false);
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });

    it('rejects a PUT without a digest parameter with 400 DIGEST_INVALID', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, null, blob.bytes);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });

    it('rejects a malformed digest parameter with 400 DIGEST_INVALID', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, 'sha256:xyz', blob.bytes);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
    });

    it('accepts a blob addressed by a sha512 digest and serves it under that digest', async function () {
      const bytes = randomBlob().bytes;
      const digest = sha512(bytes);
      const session = await fixture.client.startUpload(repository);
      const response = await fixture.client.completeUpload(session.location, digest, bytes);
      expect(response.status, response.text).to.equal(201);
      const pulled = await fixture.client.get(`/v2/${repository}/blobs/${digest}`);
      expect(pulled.status).to.equal(200);
      expect(pulled.body.equals(bytes)).to.equal(true);
    });

    it('refuses to complete a session through another repository\'s path', async function () {
      const blob = randomBlob();
      const session = await fixture.client.startUpload(repository);
      const other = uniqueRepository('blob-push-elsewhere');
      const hijacked = session.location.replace(`/v2/${repository}/`, `/v2/${other}/`);
      const response = await fixture.client.completeUpload(hijacked, blob.digest, blob.bytes);
      expectRegistryError(response, [400, 404], ['BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_INVALID']);
      expect(await fixture.client.blobExists(other, blob.digest)).to.equal(false);
    });
  });

  describe('single POST ?digest=', function () {
    it('answers 201 with the blob Location and Docker-Content-Digest', async function () {
      const blob = randomBlob();
      const response = await fixture.client.postBlob(repository, blob);
      expect(response.status, response.text).to.equal(201);
      expect(response.header('docker-content-digest')).to.equal(blob.digest);
      const pulled = await fixture.client.get(response.header('location')!);
      expect(pulled.status).to.equal(200);
      expect(pulled.body.equals(blob.bytes)).to.equal(true);
    });

    it('accepts the body when curl labels it application/x-www-form-urlencoded', async function () {
      const blob = contentOf('a=1&b=2');
      const response = await fixture.client.postBlob(repository, blob, { 'Content-Type': 'application/x-www-form-urlencoded' });
      expect(response.status, response.text).to.equal(201);
      const pulled = await fixture.client.get(`/v2/${repository}/blobs/${blob.digest}`);
      expect(pulled.body.equals(blob.bytes)).to.equal(true);
    });

    it('rejects a digest that does not match the body with 400 DIGEST_INVALID and stores nothing', async function () {
      const blob = randomBlob();
      const liar = { ...blob, digest: sha256(Buffer.from(`not ${blob.digest}`)) };
      const response = await fixture.client.postBlob(repository, liar);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
      expect(await fixture.client.blobExists(repository, liar.digest)).to.equal(false);
      expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(false);
    });

    it('rejects a malformed digest with 400 DIGEST_INVALID', async function () {
      const blob = { ...randomBlob(), digest: 'sha256:not-hex' };
      const response = await fixture.client.postBlob(repository, blob);
      expectRegistryError(response, 400, 'DIGEST_INVALID');
    });
  });
});
