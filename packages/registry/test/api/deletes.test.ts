// Content management (end-9, end-10): deleting manifests, tags and blobs when deletion is enabled, and
// 405 UNSUPPORTED for every content DELETE when it is not (the default).
import { expect } from 'chai';
import { randomBlob, uniqueRepository, uniqueTag, unknownDigest } from './oci-content.js';
import { expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: deletes, when deletion is enabled', function () {
  const fixture = useTestRegistry({ deleteEnabled: true });

  describe('manifests by digest', function () {
    it('answers 202 and then 404 MANIFEST_UNKNOWN for the digest', async function () {
      const repository = uniqueRepository('deletes');
      const image = await fixture.client.pushImage(repository, 'v1');
      const response = await fixture.client.delete(`/v2/${repository}/manifests/${image.manifest.digest}`);
      expect(response.status, response.text).to.equal(202);
      expectRegistryError(await fixture.client.fetchManifest(repository, image.manifest.digest), 404, 'MANIFEST_UNKNOWN');
      expect((await fixture.client.fetchManifest(repository, image.manifest.digest, 'HEAD')).status).to.equal(404);
    });

    it('removes every tag that pointed at the deleted manifest', async function () {
      const repository = uniqueRepository('deletes');
      const image = await fixture.client.pushImage(repository, 'v1');
      await fixture.client.pushManifest(repository, 'v1-alias', image.manifest);
      const keeper = await fixture.client.pushImage(repository, 'keep');
      await fixture.client.delete(`/v2/${repository}/manifests/${image.manifest.digest}`);
      expect(await fixture.client.tagsOf(repository)).to.deep.equal(['keep']);
      expectRegistryError(await fixture.client.fetchManifest(repository, 'v1'), 404, 'MANIFEST_UNKNOWN');
      expectRegistryError(await fixture.client.fetchManifest(repository, 'v1-alias'), 404, 'MANIFEST_UNKNOWN');
      expect((await fixture.client.fetchManifest(repository, 'keep')).body.equals(keeper.manifest.bytes)).to.equal(true);
    });

    it('answers 404 MANIFEST_UNKNOWN for a digest the repository never had', async function () {
      const repository = uniqueRepository('deletes');
      await fixture.client.pushImage(repository, 'v1');
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/manifests/${unknownDigest()}`), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers 404 in a repository that does not exist', async function () {
      const response = await fixture.client.delete(`/v2/${uniqueRepository('nowhere')}/manifests/${unknownDigest()}`);
      expectRegistryError(response, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
    });

    it('leaves the same manifest in another repository untouched', async function () {
      const first = uniqueRepository('deletes');
      const second = uniqueRepository('deletes');
      const image = await fixture.client.pushImage(first, 'v1');
      for (const blob of [image.config, ...image.layers]) await fixture.client.pushBlob(second, blob);
      await fixture.client.pushManifest(second, 'v1', image.manifest);
      await fixture.client.delete(`/v2/${first}/manifests/${image.manifest.digest}`);
      expect((await fixture.client.fetchManifest(second, 'v1')).status).to.equal(200);
    });

    it('drops a deleted referrer from the referrers list of its subject', async function () {
      const repository = uniqueRepository('deletes');
      const image = await fixture.client.pushImage(repository, 'v1');
      const kept = await fixture.client.pushArtifact(repository, image.manifest.descriptor(), { artifactType: 'application/vnd.example.a' });
      const dropped = await fixture.client.pushArtifact(repository, image.manifest.descriptor(), { artifactType: 'application/vnd.example.b' });
      expect((await fixture.client.delete(`/v2/${repository}/manifests/${dropped.digest}`)).status).to.equal(202);
      const response = await fixture.client.get(`/v2/${repository}/referrers/${image.manifest.digest}`);
      expect(response.status, response.text).to.equal(200);
      const digests = response.json<{ manifests: Array<{ digest: string }> }>().manifests.map((descriptor) => descriptor.digest);
      expect(digests).to.deep.equal([kept.digest]);
    });
  });

  describe('tags', function () {
    it('answers 202 and removes only that tag, keeping the manifest by digest', async function () {
      const repository = uniqueRepository('deletes-tags');
      const image = await fixture.client.pushImage(repository, 'v1');
      await fixture.client.pushManifest(repository, 'stable', image.manifest);
      const response = await fixture.client.delete(`/v2/${repository}/manifests/v1`);
      expect(response.status, response.text).to.equal(202);
      expectRegistryError(await fixture.client.fetchManifest(repository, 'v1'), 404, 'MANIFEST_UNKNOWN');
      expect(await fixture.client.tagsOf(repository)).to.deep.equal(['stable']);
      const byDigest = await fixture.client.fetchManifest(repository, image.manifest.digest);
      expect(byDigest.status).to.equal(200);
      expect(byDigest.body.equals(image.manifest.bytes)).to.equal(true);
    });

    it('leaves an empty tag list (200) once the last tag is deleted', async function () {
      const repository = uniqueRepository('deletes-tags');
      await fixture.client.pushImage(repository, 'only');
      await fixture.client.delete(`/v2/${repository}/manifests/only`);
      const response = await fixture.client.get(`/v2/${repository}/tags/list`);
      expect(response.status).to.equal(200);
      expect(response.json<{ tags: string[] | null }>().tags ?? []).to.deep.equal([]);
    });

    it('answers 404 MANIFEST_UNKNOWN for a tag that does not exist', async function () {
      const repository = uniqueRepository('deletes-tags');
      await fixture.client.pushImage(repository, 'v1');
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/manifests/${uniqueTag()}`), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers 404 MANIFEST_UNKNOWN for a reference that is not a valid tag, and 400 DIGEST_INVALID for a malformed digest', async function () {
      const repository = uniqueRepository('deletes-tags');
      await fixture.client.pushImage(repository, 'v1');
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/manifests/.INVALID_MANIFEST_NAME`), 404, 'MANIFEST_UNKNOWN');
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/manifests/sha256:xyz`), 400, 'DIGEST_INVALID');
      expect(await fixture.client.tagsOf(repository)).to.deep.equal(['v1']);
    });
  });

  describe('blobs', function () {
    it('answers 202 and then HEAD 404 and GET 404 BLOB_UNKNOWN', async function () {
      const repository = uniqueRepository('deletes-blobs');
      const blob = randomBlob();
      await fixture.client.pushBlob(repository, blob);
      const response = await fixture.client.delete(`/v2/${repository}/blobs/${blob.digest}`);
      expect(response.status, response.text).to.equal(202);
      expect((await fixture.client.head(`/v2/${repository}/blobs/${blob.digest}`)).status).to.equal(404);
      expectRegistryError(await fixture.client.get(`/v2/${repository}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    });

    it('answers 404 BLOB_UNKNOWN for a blob the repository does not have', async function () {
      const repository = uniqueRepository('deletes-blobs');
      await fixture.client.pushBlob(repository);
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/blobs/${unknownDigest()}`), 404, 'BLOB_UNKNOWN');
    });

    it('leaves the blob pullable from another repository that mounted it', async function () {
      const source = uniqueRepository('deletes-blobs');
      const target = uniqueRepository('deletes-blobs');
      const blob = randomBlob();
      await fixture.client.pushBlob(source, blob);
      expect((await fixture.client.mount(target, blob.digest, source)).status).to.equal(201);
      await fixture.client.delete(`/v2/${source}/blobs/${blob.digest}`);
      const pulled = await fixture.client.get(`/v2/${target}/blobs/${blob.digest}`);
      expect(pulled.status).to.equal(200);
      expect(pulled.body.equals(blob.bytes)).to.equal(true);
    });

    it('accepts the same blob pushed again after its deletion', async function () {
      const repository = uniqueRepository('deletes-blobs');
      const blob = randomBlob();
      await fixture.client.pushBlob(repository, blob);
      await fixture.client.delete(`/v2/${repository}/blobs/${blob.digest}`);
      await fixture.client.pushBlob(repository, blob);
      expect((await fixture.client.get(`/v2/${repository}/blobs/${blob.digest}`)).body.equals(blob.bytes)).to.equal(true);
    });

    it('rejects a malformed digest with 400 DIGEST_INVALID', async function () {
      const repository = uniqueRepository('deletes-blobs');
      expectRegistryError(await fixture.client.delete(`/v2/${repository}/blobs/sha256:xyz`), 400, 'DIGEST_INVALID');
    });
  });
});

describe('OCI distribution API: deletes, when deletion is disabled (the default)', function () {
  const fixture = useTestRegistry();

  it('answers DELETE of a manifest by digest with 405 UNSUPPORTED and keeps it', async function () {
    const repository = uniqueRepository('deletes-disabled');
    const image = await fixture.client.pushImage(repository, 'v1');
    const response = await fixture.client.delete(`/v2/${repository}/manifests/${image.manifest.digest}`);
    expectRegistryError(response, 405, 'UNSUPPORTED');
    // RFC 9110: a 405 names what the resource does allow, here everything but DELETE.
    expect(response.header('allow')).to.equal('GET, HEAD, PUT');
    expect((await fixture.client.fetchManifest(repository, image.manifest.digest)).status).to.equal(200);
  });

  it('answers DELETE of a tag with 405 UNSUPPORTED and keeps it', async function () {
    const repository = uniqueRepository('deletes-disabled');
    await fixture.client.pushImage(repository, 'v1');
    expectRegistryError(await fixture.client.delete(`/v2/${repository}/manifests/v1`), 405, 'UNSUPPORTED');
    expect(await fixture.client.tagsOf(repository)).to.deep.equal(['v1']);
  });

  it('answers DELETE of a blob with 405 UNSUPPORTED and keeps it', async function () {
    const repository = uniqueRepository('deletes-disabled');
    const blob = randomBlob();
    await fixture.client.pushBlob(repository, blob);
    const response = await fixture.client.delete(`/v2/${repository}/blobs/${blob.digest}`);
    expectRegistryError(response, 405, 'UNSUPPORTED');
    expect(response.header('allow')).to.equal('GET, HEAD');
    expect(await fixture.client.blobExists(repository, blob.digest)).to.equal(true);
  });

  it('still lets a client cancel its own upload session (204)', async function () {
    const repository = uniqueRepository('deletes-disabled');
    const session = await fixture.client.startUpload(repository);
    expect((await fixture.client.delete(session.location)).status).to.equal(204);
  });
});
