// Manifests a registry must refuse: broken JSON, contradicting types, missing references, wrong digests,
// invalid tags and oversized bodies; and that a refused manifest leaves nothing behind.
import { expect } from 'chai';
import {
  blobDescriptor,
  contentOf,
  dockerManifestList,
  imageIndex,
  imageManifest,
  LINUX_AMD64,
  manifestDocument,
  MediaType,
  randomBlob,
  uniqueRepository,
  unknownDigest,
} from './oci-content.js';
import { expectRegistryError } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';
import type { PushedImage } from './api-client.js';

/** Any 4xx: distribution answers MANIFEST_BLOB_UNKNOWN with 400, the error catalog says 404. */
const CLIENT_ERRORS = Array.from({ length: 100 }, (_, index) => 400 + index);

describe('OCI distribution API: manifest validation', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('manifest-validation');
  let image: PushedImage;

  before(async function () {
    image = await fixture.client.pushImage(repository, 'base');
  });

  async function expectAbsent(reference: string): Promise<void> {
    const response = await fixture.client.fetchManifest(repository, reference);
    expect(response.status, `${reference} should not exist`).to.equal(404);
  }

  it('rejects a body that is not JSON with 400 MANIFEST_INVALID', async function () {
    const response = await fixture.client.putManifest(repository, 'broken', { bytes: Buffer.from('{"schemaVersion": 2,'), mediaType: MediaType.OciManifest });
    expectRegistryError(response, 400, 'MANIFEST_INVALID');
    await expectAbsent('broken');
  });

  it('rejects an empty body with 400 MANIFEST_INVALID', async function () {
    const response = await fixture.client.putManifest(repository, 'empty', { bytes: Buffer.alloc(0), mediaType: MediaType.OciManifest });
    expectRegistryError(response, 400, 'MANIFEST_INVALID');
  });

  it('rejects JSON that is not an object with 400 MANIFEST_INVALID', async function () {
    const response = await fixture.client.putManifest(repository, 'array', { bytes: Buffer.from('[1,2,3]'), mediaType: MediaType.OciManifest });
    expectRegistryError(response, 400, 'MANIFEST_INVALID');
  });

  it('rejects an image manifest without config with 400 MANIFEST_INVALID', async function () {
    const manifest = manifestDocument({ schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] }, MediaType.OciManifest);
    expectRegistryError(await fixture.client.putManifest(repository, 'no-config', manifest), 400, 'MANIFEST_INVALID');
  });

  it('rejects an image manifest whose layers is not an array with 400 MANIFEST_INVALID', async function () {
    const manifest = manifestDocument(
      { schemaVersion: 2, mediaType: MediaType.OciManifest, config: image.manifestOptions.config, layers: 'nope' },
      MediaType.OciManifest,
    );
    expectRegistryError(await fixture.client.putManifest(repository, 'bad-layers', manifest), 400, 'MANIFEST_INVALID');
  });

  it('rejects a descriptor with a malformed digest with 400 MANIFEST_INVALID or DIGEST_INVALID', async function () {
    const manifest = imageManifest({ ...image.manifestOptions, layers: [{ mediaType: MediaType.OciLayer, digest: 'sha256:xyz', size: 3 }] });
    const response = await fixture.client.putManifest(repository, 'bad-descriptor', manifest);
    expectRegistryError(response, 400, ['MANIFEST_INVALID', 'DIGEST_INVALID']);
  });

  it('rejects a Content-Type that contradicts the body mediaType with 400 MANIFEST_INVALID', async function () {
    const response = await fixture.client.putManifest(repository, 'liar', image.manifest, MediaType.DockerManifest);
    expectRegistryError(response, 400, 'MANIFEST_INVALID');
    await expectAbsent('liar');
  });

  it('rejects an index sent as an image manifest with 400 MANIFEST_INVALID', async function () {
    const index = imageIndex({ manifests: [image.manifest.descriptor({ platform: LINUX_AMD64 })] });
    const response = await fixture.client.putManifest(repository, 'index-liar', index, MediaType.OciManifest);
    expectRegistryError(response, 400, 'MANIFEST_INVALID');
  });

  it('rejects a manifest whose layer was never pushed with MANIFEST_BLOB_UNKNOWN', async function () {
    const missing = randomBlob();
    const manifest = imageManifest({ ...image.manifestOptions, layers: [blobDescriptor(missing)] });
    const response = await fixture.client.putManifest(repository, 'missing-layer', manifest);
    expectRegistryError(response, CLIENT_ERRORS, 'MANIFEST_BLOB_UNKNOWN');
    await expectAbsent('missing-layer');
    await expectAbsent(manifest.digest);
  });

  it('rejects a manifest whose config was never pushed with MANIFEST_BLOB_UNKNOWN', async function () {
    const manifest = imageManifest({ ...image.manifestOptions, config: blobDescriptor(contentOf('{"never":"pushed"}'), MediaType.OciConfig) });
    const response = await fixture.client.putManifest(repository, 'missing-config', manifest);
    expectRegistryError(response, CLIENT_ERRORS, 'MANIFEST_BLOB_UNKNOWN');
  });

  it('rejects an index that references an unknown child manifest with MANIFEST_BLOB_UNKNOWN', async function () {
    const index = imageIndex({
      manifests: [
        image.manifest.descriptor({ platform: LINUX_AMD64 }),
        { mediaType: MediaType.OciManifest, digest: unknownDigest(), size: 500, platform: { architecture: 'arm64', os: 'linux' } },
      ],
    });
    const response = await fixture.client.putManifest(repository, 'missing-child', index);
    expectRegistryError(response, CLIENT_ERRORS, 'MANIFEST_BLOB_UNKNOWN');
    await expectAbsent('missing-child');
  });

  it('rejects a Docker manifest list that references an unknown manifest with MANIFEST_BLOB_UNKNOWN', async function () {
    const list = dockerManifestList([{ mediaType: MediaType.DockerManifest, digest: unknownDigest(), size: 500, platform: LINUX_AMD64 }]);
    const response = await fixture.client.putManifest(repository, 'missing-list-child', list);
    expectRegistryError(response, CLIENT_ERRORS, 'MANIFEST_BLOB_UNKNOWN');
  });

  it('rejects a PUT by digest whose digest does not match the body with 400 DIGEST_INVALID', async function () {
    const other = imageManifest({ ...image.manifestOptions, annotations: { variant: 'other' } });
    const response = await fixture.client.putManifest(repository, unknownDigest(), other);
    expectRegistryError(response, 400, 'DIGEST_INVALID');
    await expectAbsent(other.digest);
  });

  it('rejects a PUT by a malformed digest with 400 DIGEST_INVALID', async function () {
    expectRegistryError(await fixture.client.putManifest(repository, 'sha256:xyz', image.manifest), 400, 'DIGEST_INVALID');
  });

  for (const tag of ['-leading-dash', '.leading-dot', `a${'b'.repeat(128)}`, 'sp%20ace']) {
    it(`rejects the invalid tag "${tag.length > 40 ? `${tag.slice(0, 10)}…(${tag.length} chars)` : tag}" with 400`, async function () {
      const response = await fixture.client.putManifest(repository, tag, image.manifest);
      expectRegistryError(response, 400, ['TAG_INVALID', 'MANIFEST_INVALID']);
    });
  }

  it('rejects a manifest over 4 MiB with 413', async function () {
    const huge = imageManifest({ ...image.manifestOptions, annotations: { padding: 'x'.repeat(4 * 1024 * 1024) } });
    const response = await fixture.client.putManifest(repository, 'huge', huge);
    expect(response.status).to.equal(413);
    await expectAbsent('huge');
  });

  it('keeps the previous manifest under a tag when a replacement is refused', async function () {
    const broken = imageManifest({ ...image.manifestOptions, layers: [blobDescriptor(randomBlob())] });
    await fixture.client.putManifest(repository, 'base', broken);
    const response = await fixture.client.fetchManifest(repository, 'base');
    expect(response.status).to.equal(200);
    expect(response.body.equals(image.manifest.bytes)).to.equal(true);
  });
});
