// The on-disk layout is registry:2's, byte for byte, in both directions: a directory the reference registry
// (distribution 2.8.2) wrote is served by ours unchanged, and one ours wrote is served, extended and
// garbage-collected (dry run) by the reference.
import { expect } from 'chai';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  buildMultiArchIndex,
  cleanupTestbed,
  readBlob,
  readLayoutIndex,
  skopeo,
  startReferenceRegistry,
  tempDir,
  type BuiltImage,
  type CommandResult,
  type MultiArchIndex,
  type ReferenceRegistry,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { garbageCollectDryRun, snapshotRegistry, startOurRegistry, type OurRegistry, type RegistrySnapshot } from './interop-helpers.js';

interface Images {
  oci: BuiltImage;
  docker: BuiltImage;
  multi: MultiArchIndex;
  /** Pushed by hand through the API (chunked upload, then a cross-repository mount). */
  chunked: BuiltImage;
  /** Pushed later, into a repository the other registry wrote. */
  extra: BuiltImage;
}

async function buildImages(): Promise<Images> {
  const dir = (await tempDir('interop-images')).path;
  const layout = join(dir, 'layout');
  return {
    oci: await buildBusyboxImage(layout, { tag: 'oci', extraFileContent: 'oci image' }),
    docker: await buildBusyboxImage(layout, { tag: 'docker', extraFileContent: 'docker image' }),
    chunked: await buildBusyboxImage(layout, { tag: 'chunked', extraFileContent: 'chunked image' }),
    extra: await buildBusyboxImage(layout, { tag: 'extra', extraFileContent: 'extra image' }),
    multi: await buildMultiArchIndex(join(dir, 'multi'), ['amd64', 'arm64'], { tag: 'multi', extraFileContent: 'multi image' }),
  };
}

/** The three skopeo pushes both directions make: OCI as it is, converted to Docker v2s2, and an index with --all. */
async function pushWithSkopeo(host: string, images: Images): Promise<void> {
  assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', images.oci.ref, `docker://${host}/interop/oci:v1`]));
  assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', images.docker.ref, `docker://${host}/interop/docker:v1`]));
  assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', '--all', images.multi.ref, `docker://${host}/interop/multi:v1`]));
}

/** Copies every tag of the snapshot out of `host` into one OCI layout; returns the layout's tags → digests. */
async function copyEverythingOut(host: string, snapshot: RegistrySnapshot): Promise<Map<string, string>> {
  const layout = join((await tempDir('interop-out')).path, 'layout');
  for (const [repository, tags] of Object.entries(snapshot.tags)) {
    for (const tag of tags) {
      const name = `${repository.replace(/\//g, '-')}-${tag}`;
      assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', '--all', `docker://${host}/${repository}:${tag}`, `oci:${layout}:${name}`]));
    }
  }
  const index = await readLayoutIndex(layout);
  return new Map(index.manifests.map((d) => [d.annotations?.['org.opencontainers.image.ref.name'] ?? '', d.digest]));
}

function digestOf(snapshot: RegistrySnapshot, repository: string, tag: string): string | null | undefined {
  return snapshot.manifests[`${repository}:${tag}`]?.digestHeader;
}

describe('a registry:2 data directory served by our registry @e2e', function () {
  this.timeout(180_000);
  after(cleanupTestbed);

  let images: Images;
  let root: string;
  let written: RegistrySnapshot;
  let ours: OurRegistry;

  before(async () => {
    images = await buildImages();
    root = join((await tempDir('interop-ref-root')).path, 'data');
    const reference = await startReferenceRegistry({ rootDirectory: root });
    await pushWithSkopeo(reference.host, images);
    written = await snapshotRegistry(new RegistryApiClient(reference.url));
    await reference.stop();
    ours = await startOurRegistry({ rootDirectory: root });
  });

  it('had the reference store what skopeo pushed (the baseline to compare against)', () => {
    expect(written.catalog).to.deep.equal(['interop/docker', 'interop/multi', 'interop/oci']);
    expect(digestOf(written, 'interop/oci', 'v1')).to.equal(images.oci.manifestDigest);
    expect(digestOf(written, 'interop/multi', 'v1')).to.equal(images.multi.indexDigest);
    expect(written.manifests['interop/docker:v1']?.contentType).to.equal('application/vnd.docker.distribution.manifest.v2+json');
    for (const child of images.multi.manifests) expect(written.manifests).to.have.property(`interop/multi@${child.digest}`);
  });

  it('lists the same repositories and tags', async () => {
    const served = await snapshotRegistry(ours.client);
    expect(served.catalog).to.deep.equal(written.catalog);
    expect(served.tags).to.deep.equal(written.tags);
  });

  it('serves every manifest by tag and by digest with the same digest, bytes and media type', async () => {
    const served = await snapshotRegistry(ours.client);
    expect(Object.keys(served.manifests).sort()).to.deep.equal(Object.keys(written.manifests).sort());
    for (const [key, view] of Object.entries(written.manifests)) {
      expect(served.manifests[key], key).to.deep.equal(view);
      expect(view.bodyDigest, key).to.equal(view.digestHeader);
    }
  });

  it('serves every blob byte-identical', async () => {
    const served = await snapshotRegistry(ours.client);
    expect(Object.keys(written.blobs)).to.have.length.greaterThan(6);
    expect(served.blobs).to.deep.equal(written.blobs);
    for (const [key, blob] of Object.entries(served.blobs)) expect(key.endsWith(`@${blob.bodyDigest}`), key).to.equal(true);
  });

  it('lets skopeo copy every image out into an OCI layout', async () => {
    const copied = await copyEverythingOut(ours.host, written);
    expect([...copied.keys()].sort()).to.deep.equal(['interop-docker-v1', 'interop-multi-v1', 'interop-oci-v1']);
    expect(copied.get('interop-oci-v1')).to.equal(images.oci.manifestDigest);
    expect(copied.get('interop-multi-v1')).to.equal(images.multi.indexDigest);
  });

  it('pushes another tag into a repository the reference wrote, which the reference then serves', async () => {
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', images.extra.ref, `docker://${ours.host}/interop/oci:extra`]));
    await ours.stop();

    const reference = await startReferenceRegistry({ rootDirectory: root });
    const client = new RegistryApiClient(reference.url);
    expect([...(await client.tagsOf('interop/oci'))].sort()).to.deep.equal(['extra', 'v1']);
    expect((await client.fetchManifest('interop/oci', 'extra')).header('docker-content-digest')).to.equal(images.extra.manifestDigest);
    const out = join((await tempDir('interop-extra-out')).path, 'layout');
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${reference.host}/interop/oci:extra`, `oci:${out}:extra`]));
    await reference.stop();
  });
});

describe('an upload the reference started, finished by our registry @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('takes the next chunk and the closing PUT on the session URL the reference handed out', async () => {
    const root = join((await tempDir('interop-resume-root')).path, 'data');
    const blob = randomBlob(3 * 1024 * 1024);
    const half = Math.floor(blob.size / 2);
    const reference = await startReferenceRegistry({ rootDirectory: root });
    const referenceClient = new RegistryApiClient(reference.url);
    const session = await referenceClient.startUpload('interop/resumed');
    const first = await referenceClient.patchChunk(session.location, blob.bytes.subarray(0, half), 0);
    expect(first.status, first.text).to.equal(202);
    const sessionUrl = new URL(referenceClient.resolve(first.header('location') ?? session.location));
    await reference.stop();

    const ours = await startOurRegistry({ rootDirectory: root });
    const path = sessionUrl.pathname + sessionUrl.search;
    const status = await ours.client.get(path);
    expect(status.status, status.text).to.equal(204);
    expect(status.header('range')).to.equal(`0-${half - 1}`);
    const second = await ours.client.patchChunk(ours.client.resolve(path), blob.bytes.subarray(half), half);
    expect(second.status, second.text).to.equal(202);
    const done = await ours.client.completeUpload(ours.client.resolve(second.header('location') ?? path), blob.digest);
    expect(done.status, done.text).to.equal(201);
    const pulled = await ours.client.get(`/v2/interop/resumed/blobs/${blob.digest}`);
    expect(pulled.body.equals(blob.bytes)).to.equal(true);
    await ours.stop();
  });
});

describe('a data directory our registry wrote, served by registry:2 @e2e', function () {
  this.timeout(180_000);
  after(cleanupTestbed);

  let images: Images;
  let root: string;
  let written: RegistrySnapshot;
  let artifact: { digest: string; bytes: Buffer; contentType: string | null };
  let gc: CommandResult;
  let reference: ReferenceRegistry;

  before(async () => {
    images = await buildImages();
    root = join((await tempDir('interop-our-root')).path, 'data');
    const ours = await startOurRegistry({ rootDirectory: root });
    await pushWithSkopeo(ours.host, images);
    await pushChunkedThenMount(ours.client, images.chunked);
    const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: images.oci.manifestDigest, size: images.oci.manifestSize };
    const pushed = await ours.client.pushArtifact('interop/oci', subject, { artifactType: 'application/vnd.example.sbom' });
    const served = await ours.client.fetchManifest('interop/oci', pushed.digest);
    artifact = { digest: pushed.digest, bytes: served.body, contentType: served.header('content-type') };
    written = await snapshotRegistry(ours.client);
    await ours.stop();

    gc = await garbageCollectDryRun(root);
    reference = await startReferenceRegistry({ rootDirectory: root });
  });

  it('had our registry store every push (the baseline to compare against)', () => {
    expect(written.catalog).to.deep.equal(['interop/chunked', 'interop/docker', 'interop/mounted', 'interop/multi', 'interop/oci']);
    expect(digestOf(written, 'interop/chunked', 'v1')).to.equal(images.chunked.manifestDigest);
    expect(digestOf(written, 'interop/mounted', 'v1')).to.equal(images.chunked.manifestDigest);
    expect(digestOf(written, 'interop/multi', 'v1')).to.equal(images.multi.indexDigest);
  });

  it('lets the reference list the same repositories and tags', async () => {
    const served = await snapshotRegistry(new RegistryApiClient(reference.url));
    expect(served.catalog).to.deep.equal(written.catalog);
    expect(served.tags).to.deep.equal(written.tags);
  });

  it('lets the reference serve every manifest and blob with the same digests and bytes', async () => {
    const served = await snapshotRegistry(new RegistryApiClient(reference.url));
    expect(Object.keys(served.manifests).sort()).to.deep.equal(Object.keys(written.manifests).sort());
    for (const [key, view] of Object.entries(written.manifests)) expect(served.manifests[key], key).to.deep.equal(view);
    expect(served.blobs).to.deep.equal(written.blobs);
  });

  it('lets the reference serve a manifest pushed by digest only (an artifact with a subject)', async () => {
    const response = await new RegistryApiClient(reference.url).fetchManifest('interop/oci', artifact.digest);
    expect(response.status, response.text).to.equal(200);
    expect(response.body.equals(artifact.bytes)).to.equal(true);
    expect(response.header('docker-content-digest')).to.equal(artifact.digest);
  });

  it('lets skopeo copy every image out of the reference', async () => {
    const copied = await copyEverythingOut(reference.host, written);
    expect(copied.size).to.equal(5);
    expect(copied.get('interop-oci-v1')).to.equal(images.oci.manifestDigest);
    expect(copied.get('interop-chunked-v1')).to.equal(images.chunked.manifestDigest);
    expect(copied.get('interop-mounted-v1')).to.equal(images.chunked.manifestDigest);
    expect(copied.get('interop-multi-v1')).to.equal(images.multi.indexDigest);
  });

  it('lets the reference push another tag into a repository our registry wrote, and ours serve it after', async () => {
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', images.extra.ref, `docker://${reference.host}/interop/oci:extra`]));
    const referenceClient = new RegistryApiClient(reference.url);
    // The reference lists tags in directory order, not sorted.
    expect([...(await referenceClient.tagsOf('interop/oci'))].sort()).to.deep.equal(['extra', 'v1']);
    const viaReference = await referenceClient.fetchManifest('interop/oci', 'extra');
    expect(viaReference.header('docker-content-digest')).to.equal(images.extra.manifestDigest);
    await reference.stop();

    const ours = await startOurRegistry({ rootDirectory: root });
    expect(await ours.client.tagsOf('interop/oci')).to.deep.equal(['extra', 'v1']);
    const viaOurs = await ours.client.fetchManifest('interop/oci', 'extra');
    expect(viaOurs.status).to.equal(200);
    expect(viaOurs.body.equals(viaReference.body)).to.equal(true);
    const out = join((await tempDir('interop-extra-out')).path, 'layout');
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${ours.host}/interop/oci:extra`, `oci:${out}:extra`]));
    await ours.stop();
  });

  it("parses in the reference's garbage-collect --dry-run, which marks every blob and deletes nothing", () => {
    const output = `${gc.stdout}\n${gc.stderr}`;
    expect(gc.exitCode, output).to.equal(0);
    const referenced = new Set<string>([
      ...Object.values(written.manifests).map((view) => view.bodyDigest),
      ...Object.values(written.blobs).map((blob) => blob.bodyDigest),
      artifact.digest,
    ]);
    for (const digest of referenced) expect(output, `marks ${digest}`).to.match(new RegExp(`marking (blob|manifest) ${digest}`));
    expect(output).to.match(/0 blobs and 0 manifests eligible for deletion/);
  });
});

/** A real image pushed by hand: config whole, the layer in three PATCHes, then mounted into a second repository. */
async function pushChunkedThenMount(client: RegistryApiClient, image: BuiltImage): Promise<void> {
  const manifestBytes = await readBlob(image.layoutDir, image.manifestDigest);
  const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const config = await readBlob(image.layoutDir, manifest.config.digest);
  const configResponse = await client.postBlob('interop/chunked', { bytes: config, digest: manifest.config.digest, size: config.length });
  expect(configResponse.status, configResponse.text).to.equal(201);
  for (const { digest } of manifest.layers) {
    const layer = await readBlob(image.layoutDir, digest);
    let location = (await client.startUpload('interop/chunked')).location;
    const third = Math.ceil(layer.length / 3);
    for (let offset = 0; offset < layer.length; offset += third) {
      const response = await client.patchChunk(location, layer.subarray(offset, offset + third), offset);
      expect(response.status, response.text).to.equal(202);
      location = client.resolve(response.header('location') ?? location);
    }
    const done = await client.completeUpload(location, digest);
    expect(done.status, done.text).to.equal(201);
  }
  const contentType = 'application/vnd.oci.image.manifest.v1+json';
  const tagged = await client.putManifest('interop/chunked', 'v1', { bytes: manifestBytes, mediaType: contentType });
  expect(tagged.status, tagged.text).to.equal(201);

  for (const digest of [manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)]) {
    const mounted = await client.mount('interop/mounted', digest, 'interop/chunked');
    expect(mounted.status, `mount ${digest}: ${mounted.text}`).to.equal(201);
  }
  const again = await client.putManifest('interop/mounted', 'v1', { bytes: manifestBytes, mediaType: contentType });
  expect(again.status, again.text).to.equal(201);
}
