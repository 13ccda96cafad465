// Two registry processes on one bucket (and one rootdirectory) behave as one registry: upload state lives
// in the bucket, so any request may land on either replica, as behind a load balancer.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { assertSucceeded, buildBusyboxImage, cleanupTestbed, skopeo, startS3rver, tempDir, type S3rver } from '@private-registry/testbed';
import { join } from 'node:path';
import { RegistryApiClient } from '../api/api-client.js';
import { contentOf, sha256, uniqueRepository } from '../api/oci-content.js';
import { readLayoutImage } from './registry-under-test.js';
import { s3ConfigText, startS3Registry, type S3RegistryProcess } from './s3-registry.js';

const MiB = 1024 * 1024;

describe('two registry replicas on one S3 bucket @e2e', function () {
  this.timeout(120_000);
  let s3: S3rver;
  let replicaA: S3RegistryProcess;
  let replicaB: S3RegistryProcess;
  let a: RegistryApiClient;
  let b: RegistryApiClient;
  let bucket: string;

  before(async function () {
    s3 = await startS3rver();
    bucket = await s3.createBucket();
    // The smallest part size, so the larger chunks below are flushed as multipart parts by replica A.
    const config = s3ConfigText(s3, { bucket, rootdirectory: '/replicas/root', extraS3: { chunksize: String(5 * MiB) } });
    [replicaA, replicaB] = await Promise.all([startS3Registry({ configText: config }), startS3Registry({ configText: config })]);
    a = new RegistryApiClient(replicaA.url);
    b = new RegistryApiClient(replicaB.url);
  });
  after(cleanupTestbed);

  for (const [what, firstSize, secondSize, lastSize] of [
    ['small chunks (no part flushed yet)', 1000, 3000, 500],
    ['chunks across the 5 MiB part size', 6 * MiB + 123, 3 * MiB, 1 * MiB + 7],
  ] as const) {
    it(`a chunked upload started on A is continued and completed on B: ${what}`, async function () {
      const repository = uniqueRepository('replica-chunked');
      const content = contentOf(randomBytes(firstSize + secondSize + lastSize));
      const first = content.bytes.subarray(0, firstSize);
      const second = content.bytes.subarray(firstSize, firstSize + secondSize);
      const last = content.bytes.subarray(firstSize + secondSize);

      const session = await a.startUpload(repository);
      const patchA = await a.patchChunk(session.location, Buffer.from(first), 0);
      expect(patchA.status, patchA.text).to.equal(202);
      expect(patchA.header('range')).to.equal(`0-${firstSize - 1}`);
      // The same session path, sent to the other replica.
      const onB = onReplica(b, patchA.header('location')!);

      const status = await b.get(onB);
      expect(status.status, status.text).to.equal(204);
      expect(status.header('range')).to.equal(`0-${firstSize - 1}`);
      const patchB = await b.patchChunk(onB, Buffer.from(second), firstSize);
      expect(patchB.status, patchB.text).to.equal(202);
      expect(patchB.header('range')).to.equal(`0-${firstSize + secondSize - 1}`);
      const put = await b.completeUpload(onReplica(b, patchB.header('location')!), content.digest, Buffer.from(last));

      expect(put.status, put.text).to.equal(201);
      expect(put.header('docker-content-digest')).to.equal(content.digest);
      for (const [name, client] of [['A', a], ['B', b]] as const) {
        const blob = await client.get(`/v2/${repository}/blobs/${content.digest}`);
        expect(blob.status, `GET on ${name}: ${blob.text.slice(0, 200)}`).to.equal(200);
        expect(blob.body.length).to.equal(content.bytes.length);
        expect(sha256(blob.body), `bytes served by ${name}`).to.equal(content.digest);
      }
    });
  }

  it('a blob pushed to A is pulled from B (B asked for it before: nothing cached the miss)', async function () {
    const repository = uniqueRepository('replica-blob');
    const content = contentOf(randomBytes(256 * 1024));
    expect((await b.head(`/v2/${repository}/blobs/${content.digest}`)).status).to.equal(404);
    await a.pushBlob(repository, content);

    const head = await b.head(`/v2/${repository}/blobs/${content.digest}`);
    expect(head.status).to.equal(200);
    expect(head.header('content-length')).to.equal(String(content.bytes.length));
    const blob = await b.get(`/v2/${repository}/blobs/${content.digest}`);
    expect(blob.status).to.equal(200);
    expect(sha256(blob.body)).to.equal(content.digest);
  });

  it('an image pushed with skopeo to A is served by tag from B, and copied back out of B intact', async function () {
    const work = (await tempDir('s3-replicas')).path;
    const image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'replicas' });
    const repository = uniqueRepository('replica-image');
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${replicaA.host}/${repository}:v1`]));

    const manifest = await b.fetchManifest(repository, 'v1');
    expect(manifest.status, manifest.text).to.equal(200);
    expect(manifest.header('docker-content-digest')).to.equal(image.manifestDigest);
    expect(sha256(manifest.body)).to.equal(image.manifestDigest);
    expect(await b.tagsOf(repository)).to.deep.equal(['v1']);

    const layout = join(work, 'from-b');
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${replicaB.host}/${repository}:v1`, `oci:${layout}:v1`]));
    const original = await readLayoutImage(image.layoutDir, image.tag);
    const pulled = await readLayoutImage(layout, 'v1');
    expect(pulled).to.deep.equal(original);
  });

  it('a manifest pushed on A is served by tag from B; deleted on A, B answers 404', async function () {
    const repository = uniqueRepository('replica-delete');
    const pushed = await a.pushImage(repository, 'v1');
    const digest = pushed.manifest.digest;
    const layer = pushed.layers[0]!;
    const served = await b.fetchManifest(repository, 'v1');
    expect(served.status, served.text).to.equal(200);
    expect(sha256(served.body)).to.equal(digest);

    const deleted = await a.delete(`/v2/${repository}/manifests/${digest}`);
    expect(deleted.status, deleted.text).to.equal(202);
    expect((await b.fetchManifest(repository, digest)).status).to.equal(404);
    expect((await b.fetchManifest(repository, 'v1')).status).to.equal(404);

    const blobDeleted = await a.delete(`/v2/${repository}/blobs/${layer.digest}`);
    expect(blobDeleted.status, blobDeleted.text).to.equal(202);
    expect((await b.head(`/v2/${repository}/blobs/${layer.digest}`)).status).to.equal(404);
    expect((await b.get(`/v2/${repository}/blobs/${layer.digest}`)).status).to.equal(404);
  });

  it('a tag moved on B is seen by A at once (no stale tag on the replica that served it before)', async function () {
    const repository = uniqueRepository('replica-retag');
    const first = await a.pushImage(repository, 'v1');
    expect(sha256((await a.fetchManifest(repository, 'v1')).body)).to.equal(first.manifest.digest);
    const second = await b.pushImage(repository, 'v1');
    expect(second.manifest.digest).to.not.equal(first.manifest.digest);

    const served = await a.fetchManifest(repository, 'v1');

    expect(served.status).to.equal(200);
    expect(sha256(served.body)).to.equal(second.manifest.digest);
  });

  it('keeps its objects under the rootdirectory, in distribution\'s layout', async function () {
    // s3rver answers anonymous listings.
    const listing = await fetch(`${s3.endpoint}/${bucket}?list-type=2&max-keys=20`);
    expect(listing.status).to.equal(200);
    const keys = [...(await listing.text()).matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]!);
    expect(keys).to.not.be.empty;
    for (const key of keys) expect(key).to.match(/^replicas\/root\/docker\/registry\/v2\//);
  });
});


/** An upload Location (relative, or absolute on the other replica) as a URL on `client`'s replica. */
function onReplica(client: RegistryApiClient, location: string): string {
  const url = new URL(location, 'http://placeholder.invalid');
  return client.resolve(url.pathname + url.search);
}
