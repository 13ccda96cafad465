// skopeo (containers/image) against our registry as a real process: OCI and Docker schema 2 pushes, a
// multi-arch index, inspect and list-tags, copying back out, cross-repository mounts and deletes.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  buildMultiArchIndex,
  cleanupTestbed,
  MANIFEST_MEDIA_TYPES,
  skopeo,
  tempDir,
  type BuiltImage,
} from '@private-registry/testbed';
import { readLayoutImage, startRegistryUnderTest, uniqueRepository, type RegistryUnderTest, type RequestLogEntry } from './registry-under-test.js';

const ALL_MANIFEST_TYPES = Object.values(MANIFEST_MEDIA_TYPES);

interface InspectOutput {
  Digest: string;
  RepoTags: string[];
  Architecture: string;
  Layers: string[];
}

interface IndexJson {
  mediaType?: string;
  manifests: { digest: string; mediaType: string; platform?: { architecture: string } }[];
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

describe('skopeo pushing to and pulling from our registry @e2e', function () {
  this.timeout(120_000);
  let registry: RegistryUnderTest;
  let work: string;
  let image: BuiltImage;
  const repository = uniqueRepository('skopeo-busybox');

  before(async function () {
    registry = await startRegistryUnderTest();
    work = (await tempDir('skopeo-e2e')).path;
    image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'skopeo e2e' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/${repository}:latest`]));
  });
  after(cleanupTestbed);

  it('stores an OCI image pushed with skopeo copy byte for byte, served with the OCI media type', async function () {
    const response = await registry.getManifest(repository, 'latest', ALL_MANIFEST_TYPES);

    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.ociManifest);
    expect(response.headers.get('docker-content-digest')).to.equal(image.manifestDigest);
    expect(sha256(response.text)).to.equal(image.manifestDigest);
  });

  it('serves an image pushed with --format v2s2 as a Docker schema 2 manifest', async function () {
    const target = uniqueRepository('skopeo-v2s2');
    assertSucceeded(await skopeo(['copy', '--format', 'v2s2', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/${target}:latest`]));

    const response = await registry.getManifest(target, 'latest', [MANIFEST_MEDIA_TYPES.dockerManifest, MANIFEST_MEDIA_TYPES.ociManifest]);

    expect(response.status, response.text).to.equal(200);
    expect(response.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.dockerManifest);
    expect(response.json).to.have.property('mediaType', MANIFEST_MEDIA_TYPES.dockerManifest);
    expect(response.headers.get('docker-content-digest')).to.equal(sha256(response.text));
  });

  it('pushes a multi-arch index with copy --all and serves the index and every child by digest', async function () {
    const target = uniqueRepository('skopeo-multi');
    const multi = await buildMultiArchIndex(join(work, 'multi'), ['amd64', 'arm64', 'arm/v7']);
    assertSucceeded(await skopeo(['copy', '--all', '--dest-tls-verify=false', multi.ref, `docker://${registry.host}/${target}:latest`]));

    const index = await registry.getManifest(target, 'latest', [MANIFEST_MEDIA_TYPES.ociIndex, MANIFEST_MEDIA_TYPES.dockerManifestList]);
    expect(index.status, index.text).to.equal(200);
    expect(index.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.ociIndex);
    expect(index.headers.get('docker-content-digest')).to.equal(multi.indexDigest);
    const children = (index.json as IndexJson).manifests;
    expect(children.map((child) => child.digest)).to.deep.equal(multi.manifests.map((m) => m.digest));

    for (const child of multi.manifests) {
      const manifest = await registry.getManifest(target, child.digest, [MANIFEST_MEDIA_TYPES.ociManifest]);
      expect(manifest.status, `${child.digest}: ${manifest.text}`).to.equal(200);
      expect(manifest.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.ociManifest);
      expect(sha256(manifest.text)).to.equal(child.digest);
    }
  });

  it('shows every tag of the repository and the pushed digest in skopeo inspect', async function () {
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/${repository}:latest`, `docker://${registry.host}/${repository}:1.0`]));

    const inspect = assertSucceeded(await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/${repository}:1.0`]));

    const output = JSON.parse(inspect.stdout) as InspectOutput;
    expect(output.Digest).to.equal(image.manifestDigest);
    expect(output.RepoTags.slice().sort()).to.deep.equal(['1.0', 'latest']);
    expect(output.Layers).to.have.length(1);
  });

  it('lists the tags with skopeo list-tags', async function () {
    const target = uniqueRepository('skopeo-tags');
    for (const tag of ['a', 'b', 'c']) {
      assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/${target}:${tag}`]));
    }

    const listed = assertSucceeded(await skopeo(['list-tags', '--tls-verify=false', `docker://${registry.host}/${target}`]));

    const output = JSON.parse(listed.stdout) as { Repository: string; Tags: string[] };
    expect(output.Repository).to.equal(`${registry.host}/${target}`);
    expect(output.Tags.slice().sort()).to.deep.equal(['a', 'b', 'c']);
  });

  it('copies the image back out into an OCI layout with the same manifest and layer digests', async function () {
    const outLayout = join(work, 'copied-out');
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${registry.host}/${repository}:latest`, `oci:${outLayout}:out`]));

    const copied = await readLayoutImage(outLayout, 'out');
    const source = await readLayoutImage(image.layoutDir, image.tag);
    expect(copied.manifestDigest).to.equal(source.manifestDigest);
    expect(copied.configDigest).to.equal(source.configDigest);
    expect(copied.layerDigests).to.deep.equal(source.layerDigests);
  });

  it('copies between two repositories of our registry by mounting the blobs (POST ?mount= answered 201)', async function () {
    const target = uniqueRepository('skopeo-mounted');
    const offset = await registry.logOffset();

    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/${repository}:latest`, `docker://${registry.host}/${target}:latest`]));

    const isManifestPut = (e: RequestLogEntry): boolean => e.method === 'PUT' && e.url.includes(`/v2/${target}/manifests/`);
    const requests = await registry.requestsSince(offset, isManifestPut);
    const mounts = requests.filter((e) => e.method === 'POST' && e.url.startsWith(`/v2/${target}/blobs/uploads/`) && e.url.includes('mount='));
    expect(mounts, JSON.stringify(requests, null, 1)).to.not.be.empty;
    expect(mounts.every((e) => e.status === 201), JSON.stringify(mounts)).to.equal(true);
    // The layer is mounted rather than uploaded again (containers/image re-uploads the small config blob).
    const { layerDigests } = await readLayoutImage(image.layoutDir, image.tag);
    for (const layer of layerDigests) {
      expect(mounts.some((e) => decodeURIComponent(e.url).includes(`mount=${layer}`)), `no mount of ${layer}`).to.equal(true);
      expect(requests.some((e) => e.method === 'PUT' && decodeURIComponent(e.url).includes(`digest=${layer}`)), `${layer} uploaded again`).to.equal(false);
    }
    expect(requests.find(isManifestPut)?.status).to.equal(201);
    const copied = await registry.getManifest(target, 'latest', ALL_MANIFEST_TYPES);
    expect(copied.headers.get('docker-content-digest')).to.equal(image.manifestDigest);
  });

  it('deletes an image with skopeo delete, after which skopeo inspect fails with manifest unknown', async function () {
    const target = uniqueRepository('skopeo-delete');
    const reference = `docker://${registry.host}/${target}:doomed`;
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, reference]));

    assertSucceeded(await skopeo(['delete', '--tls-verify=false', reference]));

    const inspect = await skopeo(['inspect', '--tls-verify=false', reference]);
    expect(inspect.exitCode, inspect.stdout).to.not.equal(0);
    expect(inspect.stderr).to.match(/manifest unknown/i);
    const byDigest = await registry.getManifest(target, image.manifestDigest, ALL_MANIFEST_TYPES);
    expect(byDigest.status).to.equal(404);
    // The other repositories holding the same manifest are untouched.
    expect((await registry.getManifest(repository, 'latest', ALL_MANIFEST_TYPES)).status).to.equal(200);
  });
});
