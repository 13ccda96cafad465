// Cross-repository blob mount (end-11): POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>.
import { expect } from 'chai';
import { type Content, randomBlob, uniqueRepository, unknownDigest } from './oci-content.js';
import { uploadRange } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: mounting blobs across repositories', function () {
  const fixture = useTestRegistry();
  const source = uniqueRepository('blob-mount-source');
  let blob: Content;

  before(async function () {
    blob = randomBlob(4096);
    await fixture.client.pushBlob(source, blob);
  });

  it('mounts a blob that exists in `from` with 201, a Location and Docker-Content-Digest', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, blob.digest, source);
    expect(response.status, response.text).to.equal(201);
    expect(response.header('docker-content-digest')).to.equal(blob.digest);
    expect(response.header('location')).to.be.a('string').and.not.equal('');
  });

  it('makes the mounted blob pullable from the target at the Location given', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, blob.digest, source);
    const pulled = await fixture.client.get(response.header('location')!);
    expect(pulled.status).to.equal(200);
    expect(pulled.body.equals(blob.bytes)).to.equal(true);
    const head = await fixture.client.head(`/v2/${target}/blobs/${blob.digest}`);
    expect(head.status).to.equal(200);
    expect(head.header('content-length')).to.equal(String(blob.size));
  });

  it('leaves the source repository untouched', async function () {
    const target = uniqueRepository('blob-mount-target');
    await fixture.client.mount(target, blob.digest, source);
    const pulled = await fixture.client.get(`/v2/${source}/blobs/${blob.digest}`);
    expect(pulled.body.equals(blob.bytes)).to.equal(true);
  });

  it('mounts a blob that the target already has with 201', async function () {
    const target = uniqueRepository('blob-mount-target');
    await fixture.client.pushBlob(target, blob);
    const response = await fixture.client.mount(target, blob.digest, source);
    expect(response.status).to.equal(201);
  });

  it('lets a manifest in the target reference a mounted blob', async function () {
    const image = await fixture.client.pushImage(source, 'mounted');
    const target = uniqueRepository('blob-mount-target');
    for (const content of [image.config, ...image.layers]) {
      expect((await fixture.client.mount(target, content.digest, source)).status).to.equal(201);
    }
    await fixture.client.pushManifest(target, 'mounted', image.manifest);
  });

  it('starts an ordinary upload session (202 + Location) when the blob is not in `from`', async function () {
    const target = uniqueRepository('blob-mount-target');
    const other = uniqueRepository('blob-mount-empty');
    await fixture.client.pushBlob(other);
    const response = await fixture.client.mount(target, blob.digest, other);
    expect(response.status, response.text).to.equal(202);
    expect(response.header('location')).to.be.a('string').and.not.equal('');
    expect(await fixture.client.blobExists(target, blob.digest)).to.equal(false);
  });

  it('lets the client finish the fallback session with a PUT', async function () {
    const target = uniqueRepository('blob-mount-target');
    const missing = randomBlob();
    const response = await fixture.client.mount(target, missing.digest, source);
    expect(response.status).to.equal(202);
    expect(response.header('range') ?? uploadRange(0)).to.equal(uploadRange(0));
    const done = await fixture.client.completeUpload(fixture.client.resolve(response.header('location')!), missing.digest, missing.bytes);
    expect(done.status, done.text).to.equal(201);
    expect(await fixture.client.blobExists(target, missing.digest)).to.equal(true);
  });

  it('starts an upload session (202) when `from` is a repository that does not exist', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, blob.digest, uniqueRepository('blob-mount-nowhere'));
    expect(response.status).to.equal(202);
    expect(await fixture.client.blobExists(target, blob.digest)).to.equal(false);
  });

  it('starts an upload session (202) for a digest unknown to the whole registry', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, unknownDigest(), source);
    expect(response.status).to.equal(202);
  });

  it('mounts without `from` (201) when the blob exists anywhere in the registry', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, blob.digest);
    expect(response.status, response.text).to.equal(201);
    expect(response.header('docker-content-digest')).to.equal(blob.digest);
    const pulled = await fixture.client.get(`/v2/${target}/blobs/${blob.digest}`);
    expect(pulled.body.equals(blob.bytes)).to.equal(true);
  });

  it('starts an upload session (202) without `from` when no repository has the blob', async function () {
    const target = uniqueRepository('blob-mount-target');
    const response = await fixture.client.mount(target, unknownDigest());
    expect(response.status).to.equal(202);
    expect(response.header('location')).to.be.a('string').and.not.equal('');
  });
});
