// Pushing and pulling manifests (end-3, end-7): OCI image manifests and indexes, Docker schema2 manifests
// and manifest lists, stored and served byte-exact under tags and digests.
import { expect } from 'chai';
import {
  ACCEPT_ANY_MANIFEST,
  type ManifestDocument,
  blobDescriptor,
  dockerManifestList,
  imageIndex,
  imageManifest,
  LINUX_AMD64,
  LINUX_ARM64,
  MediaType,
  randomBlob,
  uniqueRepository,
  uniqueTag,
  unknownDigest,
} from './oci-content.js';
import { expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: manifests', function () {
  const fixture = useTestRegistry();

  async function expectServed(repository: string, reference: string, manifest: ManifestDocument): Promise<void> {
    const response = await fixture.client.fetchManifest(repository, reference);
    expect(response.status, response.text).to.equal(200);
    expect(response.body.equals(manifest.bytes), 'byte-exact manifest').to.equal(true);
    expect(response.header('content-type')).to.equal(manifest.mediaType);
    expect(response.header('docker-content-digest')).to.equal(manifest.digest);
    expect(response.header('content-length')).to.equal(String(manifest.size));
  }

  describe('PUT', function () {
    it('accepts an OCI image manifest by tag with 201, a Location and Docker-Content-Digest', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository, 'v1');
      const response = await fixture.client.putManifest(repository, 'v1', image.manifest);
      expect(response.status).to.equal(201);
      expect(response.header('docker-content-digest')).to.equal(image.manifest.digest);
      expect(response.header('location')).to.be.a('string').and.not.equal('');
    });

    it('accepts a manifest by digest with 201 and Docker-Content-Digest equal to that digest', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository);
      const response = await fixture.client.putManifest(repository, image.manifest.digest, image.manifest);
      expect(response.status).to.equal(201);
      expect(response.header('docker-content-digest')).to.equal(image.manifest.digest);
    });

    it('returns a Location from which the manifest can be pulled byte-exact', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository, 'v1');
      const response = await fixture.client.putManifest(repository, 'v1', image.manifest);
      const pulled = await fixture.client.get(response.header('location')!, { Accept: ACCEPT_ANY_MANIFEST });
      expect(pulled.status).to.equal(200);
      expect(pulled.body.equals(image.manifest.bytes)).to.equal(true);
    });

    it('answers a manifest with a subject with OCI-Subject: <subject digest>', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository, 'v1');
      const config = randomBlob(2);
      await fixture.client.pushBlob(repository, config);
      const artifact = imageManifest({
        config: blobDescriptor(config, MediaType.OciEmpty),
        layers: [],
        subject: image.manifest.descriptor(),
        artifactType: 'application/vnd.example.sbom',
      });
      const response = await fixture.client.putManifest(repository, artifact.digest, artifact);
      expect(response.status, response.text).to.equal(201);
      expect(response.header('oci-subject')).to.equal(image.manifest.digest);
    });

    it('accepts a manifest whose subject does not exist (yet)', async function () {
      const repository = uniqueRepository('manifests');
      await fixture.client.pushImage(repository);
      const subject = { mediaType: MediaType.OciManifest, digest: unknownDigest(), size: 1234 };
      const artifact = await fixture.client.pushArtifact(repository, subject, { artifactType: 'application/vnd.example.sig' });
      await expectServed(repository, artifact.digest, artifact);
    });

    it('moves a tag to a new manifest and keeps the old one by digest', async function () {
      const repository = uniqueRepository('manifests');
      const first = await fixture.client.pushImage(repository, 'latest');
      const second = await fixture.client.pushImage(repository, 'latest');
      await expectServed(repository, 'latest', second.manifest);
      await expectServed(repository, first.manifest.digest, first.manifest);
    });

    it('lets several tags point at one manifest', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository, 'one');
      await fixture.client.pushManifest(repository, 'two', image.manifest);
      await expectServed(repository, 'one', image.manifest);
      await expectServed(repository, 'two', image.manifest);
    });

    it('leaves a tag on one intact manifest after concurrent pushes to it', async function () {
      const repository = uniqueRepository('manifests');
      const images = await Promise.all([1, 2, 3, 4].map(() => fixture.client.pushImage(repository)));
      const responses = await Promise.all(images.map((image) => fixture.client.putManifest(repository, 'contended', image.manifest)));
      expect(responses.map((response) => response.status)).to.deep.equal([201, 201, 201, 201]);
      const served = await fixture.client.fetchManifest(repository, 'contended');
      const winner = images.find((image) => image.manifest.digest === served.header('docker-content-digest'));
      expect(winner, 'the tag points at one of the pushed manifests').to.not.equal(undefined);
      expect(served.body.equals(winner!.manifest.bytes)).to.equal(true);
    });

    it('answers PUT to .INVALID_MANIFEST_NAME with 400 TAG_INVALID and stores nothing', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository, 'v1');
      expectRegistryError(await fixture.client.putManifest(repository, '.INVALID_MANIFEST_NAME', image.manifest), 400, 'TAG_INVALID');
      expect(await fixture.client.tagsOf(repository)).to.deep.equal(['v1']);
    });

    it('accepts a 128-character tag', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository);
      const tag = `a${'b'.repeat(127)}`;
      await fixture.client.pushManifest(repository, tag, image.manifest);
      await expectServed(repository, tag, image.manifest);
    });

    it('accepts a manifest of 4,000,000 bytes', async function () {
      const repository = uniqueRepository('manifests');
      const image = await fixture.client.pushImage(repository);
      const overhead = imageManifest({ ...image.manifestOptions, annotations: { padding: '' } }).size;
      const big = imageManifest({ ...image.manifestOptions, annotations: { padding: 'x'.repeat(4_000_000 - overhead) } });
      expect(big.size).to.equal(4_000_000);
      await fixture.client.pushManifest(repository, 'big', big);
      await expectServed(repository, 'big', big);
    });
  });

  describe('GET and HEAD', function () {
    const repository = uniqueRepository('manifests-pull');
    let image: ManifestDocument;

    before(async function () {
      image = (await fixture.client.pushImage(repository, 'v1')).manifest;
    });

    it('serves a manifest by tag byte-exact with its Content-Type, digest and length', async function () {
      await expectServed(repository, 'v1', image);
    });

    it('serves a manifest by digest byte-exact with its Content-Type, digest and length', async function () {
      await expectServed(repository, image.digest, image);
    });

    for (const reference of ['tag', 'digest'] as const) {
      it(`answers HEAD by ${reference} with 200, the same headers as GET and no body`, async function () {
        const response = await fixture.client.fetchManifest(repository, reference === 'tag' ? 'v1' : image.digest, 'HEAD');
        expect(response.status).to.equal(200);
        expect(response.header('content-type')).to.equal(MediaType.OciManifest);
        expect(response.header('docker-content-digest')).to.equal(image.digest);
        expect(response.header('content-length')).to.equal(String(image.size));
        expect(response.body.length).to.equal(0);
      });
    }

    it('answers an unknown tag with 404 MANIFEST_UNKNOWN', async function () {
      expectRegistryError(await fixture.client.fetchManifest(repository, uniqueTag()), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers an unknown digest with 404 MANIFEST_UNKNOWN', async function () {
      expectRegistryError(await fixture.client.fetchManifest(repository, unknownDigest()), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers HEAD of an unknown tag with 404 and no body', async function () {
      const response = await fixture.client.fetchManifest(repository, uniqueTag(), 'HEAD');
      expect(response.status).to.equal(404);
      expect(response.body.length).to.equal(0);
    });

    // The conformance suite's nonexistent manifest: a reference that is not even a valid tag names nothing.
    for (const method of ['GET', 'HEAD'] as const) {
      it(`answers ${method} of .INVALID_MANIFEST_NAME (neither tag nor digest) with 404 MANIFEST_UNKNOWN`, async function () {
        const response = await fixture.client.fetchManifest(repository, '.INVALID_MANIFEST_NAME', method);
        expect(response.status).to.equal(404);
        if (method === 'GET') expectRegistryError(response, 404, 'MANIFEST_UNKNOWN');
        else expect(response.body.length).to.equal(0);
      });
    }

    it('answers a 129-character tag with 404 MANIFEST_UNKNOWN on GET', async function () {
      expectRegistryError(await fixture.client.fetchManifest(repository, 't'.repeat(129)), 404, 'MANIFEST_UNKNOWN');
    });

    it('answers a manifest in an unknown repository with 404 NAME_UNKNOWN or MANIFEST_UNKNOWN', async function () {
      const response = await fixture.client.fetchManifest(uniqueRepository('nowhere'), 'latest');
      expectRegistryError(response, 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
    });

    it('does not serve a manifest through a repository it was not pushed to', async function () {
      const other = uniqueRepository('manifests-other');
      await fixture.client.pushImage(other, 'v1');
      expectRegistryError(await fixture.client.fetchManifest(other, image.digest), 404, 'MANIFEST_UNKNOWN');
    });
  });

  describe('manifest kinds', function () {
    it('stores and serves an OCI image index byte-exact', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const amd64 = await fixture.client.pushImage(repository);
      const arm64 = await fixture.client.pushImage(repository);
      const index = imageIndex({
        manifests: [amd64.manifest.descriptor({ platform: LINUX_AMD64 }), arm64.manifest.descriptor({ platform: LINUX_ARM64 })],
        annotations: { 'org.opencontainers.image.version': '1.0' },
      });
      await fixture.client.pushManifest(repository, 'multi', index);
      await expectServed(repository, 'multi', index);
      await expectServed(repository, index.digest, index);
    });

    it('stores and serves a Docker schema2 manifest byte-exact with its own media type', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const image = await fixture.client.pushDockerImage(repository, 'docker');
      await expectServed(repository, 'docker', image.manifest);
    });

    it('stores and serves a Docker manifest list byte-exact', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const amd64 = await fixture.client.pushDockerImage(repository);
      const arm64 = await fixture.client.pushDockerImage(repository);
      const list = dockerManifestList([
        amd64.manifest.descriptor({ platform: LINUX_AMD64 }),
        arm64.manifest.descriptor({ platform: LINUX_ARM64 }),
      ]);
      await fixture.client.pushManifest(repository, 'list', list);
      await expectServed(repository, 'list', list);
    });

    it('accepts an image manifest without mediaType (as umoci writes) and serves it as an OCI image manifest', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const image = await fixture.client.pushImage(repository);
      const bare = imageManifest({ ...image.manifestOptions, omitMediaType: true });
      expect(bare.json).to.not.have.property('mediaType');
      await fixture.client.pushManifest(repository, 'bare', bare);
      await expectServed(repository, 'bare', bare);
    });

    it('infers the type of a manifest without mediaType or Content-Type from its content', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const image = await fixture.client.pushImage(repository);
      const bare = imageManifest({ ...image.manifestOptions, omitMediaType: true });
      const response = await fixture.client.putManifest(repository, 'untyped', bare, null);
      expect(response.status, response.text).to.equal(201);
      await expectServed(repository, 'untyped', bare);
    });

    it('accepts an index without mediaType and serves it as an OCI image index', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const image = await fixture.client.pushImage(repository);
      const bare = imageIndex({ manifests: [image.manifest.descriptor({ platform: LINUX_AMD64 })], omitMediaType: true });
      const response = await fixture.client.putManifest(repository, 'bare-index', bare, null);
      expect(response.status, response.text).to.equal(201);
      await expectServed(repository, 'bare-index', bare);
    });

    it('ignores parameters on the Content-Type of a PUT and serves the bare media type', async function () {
      const repository = uniqueRepository('manifests-kinds');
      const image = await fixture.client.pushImage(repository);
      const response = await fixture.client.putManifest(repository, 'params', image.manifest, `${MediaType.OciManifest}; charset=utf-8`);
      expect(response.status, response.text).to.equal(201);
      await expectServed(repository, 'params', image.manifest);
    });
  });
});
