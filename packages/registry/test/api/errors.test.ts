// Errors: the spec's JSON error body everywhere, 400s for malformed digests and names, 416 for bad ranges,
// and never a 500 for a client's mistake.
import { expect } from 'chai';
import { GARBAGE_REQUESTS, type GarbageContext } from './garbage-requests.js';
import { randomBlob, uniqueRepository, unknownDigest } from './oci-content.js';
import { sendRaw } from './raw-http.js';
import { bareContentType, expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

const MALFORMED_DIGESTS = ['sha256:xyz', `sha256:${'a'.repeat(63)}`, `sha256:${'a'.repeat(65)}`, `sha256:${'A'.repeat(64)}`, 'sha256:', 'not-a-digest:'];
/** Well-formed digests of algorithms this registry does not implement. */
const FOREIGN_DIGESTS = [`md5:${'a'.repeat(32)}`, `sha384:${'a'.repeat(96)}`];
const INVALID_NAMES = ['UPPER', 'a//b', '-a', 'a-', 'a/.b', `${'a'.repeat(256)}`];

describe('OCI distribution API: errors', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('errors');
  let digest: string;

  before(async function () {
    const image = await fixture.client.pushImage(repository, 'v1');
    digest = image.layers[0]!.digest;
  });

  describe('the error body', function () {
    const failing: Array<[string, () => Promise<import('./api-client.js').ApiResponse>]> = [
      ['an unknown blob', () => fixture.client.get(`/v2/${repository}/blobs/${unknownDigest()}`)],
      ['an unknown manifest', () => fixture.client.get(`/v2/${repository}/manifests/nope`)],
      ['an unknown upload', () => fixture.client.get(`/v2/${repository}/blobs/uploads/nope`)],
      ['an invalid manifest', () => fixture.client.putManifest(repository, 'bad', { bytes: Buffer.from('{'), mediaType: 'application/vnd.oci.image.manifest.v1+json' })],
      ['an unknown repository', () => fixture.client.get(`/v2/${uniqueRepository('nowhere')}/tags/list`)],
      ['a bad page size', () => fixture.client.get('/v2/_catalog?n=-1')],
    ];
    for (const [label, send] of failing) {
      it(`is {"errors":[{code,message}]} as application/json for ${label}`, async function () {
        const response = await send();
        expect(response.status).to.be.within(400, 499);
        expect(bareContentType(response)).to.equal('application/json');
        const body = response.json<{ errors: Array<{ code: string; message: string }> }>();
        expect(body.errors).to.be.an('array').with.length.greaterThan(0);
        expect(body.errors[0]!.code).to.match(/^[A-Z_]+$/);
        expect(body.errors[0]!.message).to.be.a('string');
      });
    }
  });

  describe('malformed digests', function () {
    for (const malformed of [...MALFORMED_DIGESTS, ...FOREIGN_DIGESTS]) {
      const label = malformed.length > 24 ? `${malformed.slice(0, 12)}…(${malformed.length - 7} chars)` : malformed;
      const foreign = FOREIGN_DIGESTS.includes(malformed);
      if (foreign) {
        // Well-formed, but of an algorithm we cannot hold: such a blob is simply not here (end-2 fails with 404).
        it(`answers GET blob ${label} with 404 BLOB_UNKNOWN`, async function () {
          expectRegistryError(await fixture.client.get(`/v2/${repository}/blobs/${malformed}`), 404, 'BLOB_UNKNOWN');
        });

        it(`answers HEAD blob ${label} with 404 and no body`, async function () {
          const response = await fixture.client.head(`/v2/${repository}/blobs/${malformed}`);
          expect(response.status).to.equal(404);
          expect(response.body.length).to.equal(0);
        });
      } else {
        it(`answers GET blob ${label} with 400 DIGEST_INVALID`, async function () {
          expectRegistryError(await fixture.client.get(`/v2/${repository}/blobs/${malformed}`), 400, 'DIGEST_INVALID');
        });

        it(`answers HEAD blob ${label} with 400 and no body`, async function () {
          const response = await fixture.client.head(`/v2/${repository}/blobs/${malformed}`);
          expect(response.status).to.equal(400);
          expect(response.body.length).to.equal(0);
        });
      }

      // A manifest reference that is neither a tag nor a digest we hold names nothing: 404 (end-3).
      it(`answers GET manifest ${label} with 404 MANIFEST_UNKNOWN`, async function () {
        expectRegistryError(await fixture.client.get(`/v2/${repository}/manifests/${malformed}`), 404, 'MANIFEST_UNKNOWN');
      });

      it(`answers HEAD manifest ${label} with 404 and no body`, async function () {
        const response = await fixture.client.head(`/v2/${repository}/manifests/${malformed}`);
        expect(response.status).to.equal(404);
        expect(response.body.length).to.equal(0);
      });

      it(`answers PUT manifest ${label} with 400 DIGEST_INVALID`, async function () {
        const response = await fixture.client.putManifest(repository, malformed, { bytes: Buffer.from('{}'), mediaType: 'application/vnd.oci.image.manifest.v1+json' });
        expectRegistryError(response, 400, 'DIGEST_INVALID');
      });

      // Pushing with a digest we cannot verify is the client's mistake: the spec's SHOULD is 400.
      it(`answers a single POST ?digest=${label} with 400 DIGEST_INVALID`, async function () {
        const response = await fixture.client.postBlob(repository, { ...randomBlob(), digest: malformed });
        expectRegistryError(response, 400, 'DIGEST_INVALID');
      });

      it(`answers a closing PUT ?digest=${label} with 400 DIGEST_INVALID`, async function () {
        const session = await fixture.client.startUpload(repository);
        expectRegistryError(await fixture.client.completeUpload(session.location, malformed, randomBlob().bytes), 400, 'DIGEST_INVALID');
      });

      it(`answers a mount of ${label} with an ordinary upload session (202), as the spec's SHOULD asks`, async function () {
        const response = await fixture.client.mount(uniqueRepository('errors-mount'), malformed, repository);
        expect(response.status).to.equal(202);
        expect(response.header('location')).to.be.a('string');
      });
    }
  });

  describe('invalid repository names', function () {
    for (const name of INVALID_NAMES) {
      const label = name.length > 24 ? `${name.slice(0, 6)}…(${name.length} chars)` : name;
      const routes: Array<[string, string, string]> = [
        ['GET', 'tags/list', `/v2/${name}/tags/list`],
        ['GET', 'manifests', `/v2/${name}/manifests/latest`],
        ['GET', 'blobs', `/v2/${name}/blobs/${'sha256:' + 'a'.repeat(64)}`],
        ['POST', 'uploads', `/v2/${name}/blobs/uploads/`],
      ];
      for (const [method, route, path] of routes) {
        it(`answers ${method} ${route} of "${label}" with 400 NAME_INVALID`, async function () {
          const response = await sendRaw(fixture.registry.url, { method, path, headers: { 'Content-Length': '0' } });
          expectRegistryError(response, 400, 'NAME_INVALID');
        });
      }
    }

    it('answers a name with a ".." component with 400 NAME_INVALID or 404, never touching the disk outside', async function () {
      const response = await sendRaw(fixture.registry.url, { method: 'GET', path: `/v2/../${repository}/tags/list` });
      expect([400, 404]).to.include(response.status);
      if (response.status === 400) expectRegistryError(response, 400, 'NAME_INVALID');
    });

    it('accepts a 255-character name', async function () {
      const name = `${'a'.repeat(100)}/${'b'.repeat(154)}`;
      expect(name.length).to.equal(255);
      const session = await fixture.client.startUpload(name);
      expect(session.response.status).to.equal(202);
    });
  });

  describe('bad ranges', function () {
    it('answers a blob Range past the end with 416', async function () {
      const response = await fixture.client.get(`/v2/${repository}/blobs/${digest}`, { Range: 'bytes=999999-1000000' });
      expect(response.status).to.equal(416);
    });

    it('serves the whole blob or 416 for a syntactically invalid Range, never 500', async function () {
      const response = await fixture.client.get(`/v2/${repository}/blobs/${digest}`, { Range: 'bytes=abc' });
      expect([200, 416]).to.include(response.status);
    });

    for (const range of ['abc', '5-2', '0-', 'x-y']) {
      it(`answers PATCH with Content-Range: ${range} with 416`, async function () {
        const session = await fixture.client.startUpload(repository);
        const response = await fixture.client.patchChunk(session.location, Buffer.from('0123456789'), 0, { 'Content-Range': range });
        expect(response.status).to.equal(416);
      });
    }
  });

  describe('pagination numbers', function () {
    for (const n of ['-1', 'abc']) {
      it(`answers tags/list?n=${n} and _catalog?n=${n} with 400 PAGINATION_NUMBER_INVALID`, async function () {
        expectRegistryError(await fixture.client.get(`/v2/${repository}/tags/list?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
        expectRegistryError(await fixture.client.get(`/v2/_catalog?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
      });
    }
  });

  describe('garbage requests', function () {
    const context = (): GarbageContext => ({
      repository,
      digest,
      newUploadPath: async () => {
        const session = await fixture.client.startUpload(repository);
        const url = new URL(session.location);
        return `${url.pathname}${url.search}`;
      },
    });

    for (const garbage of GARBAGE_REQUESTS) {
      it(`answers ${garbage.title} without a 5xx`, async function () {
        const request = await garbage.build(context());
        const response = await sendRaw(fixture.registry.url, request);
        expect(response.status, `${request.method} ${request.path.slice(0, 120)} → ${response.text.slice(0, 200)}`).to.be.below(500);
        if (response.status >= 400 && request.method !== 'HEAD' && response.body.length > 0 && bareContentType(response) === 'application/json') {
          expect(response.json<{ errors?: unknown }>().errors, 'JSON error body').to.be.an('array');
        }
      });
    }

    it('still answers GET /v2/ with 200 after all that', async function () {
      expect((await fixture.client.get('/v2/')).status).to.equal(200);
    });
  });
});
