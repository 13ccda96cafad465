// One S3 bucket, two registries: ours and the reference (distribution 2.8.2 with its s3 driver), both on
// s3rver. The object layout is registry:2's, so what ours pushes the reference serves, and what the reference
// writes (repository links, manifests, tags, deletes) ours serves.
//
// The reference cannot upload a blob to s3rver at all: every PATCH/PUT of an upload resumes its writer, which
// calls ListMultipartUploads, and s3rver answers 501 NotImplemented ("error resolving upload: s3aws:
// NotImplemented: A parameter you provided implies functionality that is not implemented"). So here the
// reference writes what needs no blob upload: cross-repository mounts, manifests and tags, deletes.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  buildMultiArchIndex,
  cleanupTestbed,
  readLayoutIndex,
  skopeo,
  startReferenceRegistry,
  startRegistryProcess,
  startS3rver,
  tempDir,
  type BuiltImage,
  type MultiArchIndex,
  type ReferenceRegistry,
  type RegistryProcess,
  type S3rver,
} from '@private-registry/testbed';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const ACCEPT = [
  OCI_MANIFEST,
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

function s3Driver(s3: S3rver, bucket: string): { s3: Record<string, unknown> } {
  return {
    s3: {
      accesskey: s3.accessKey,
      secretkey: s3.secretKey,
      region: s3.region,
      regionendpoint: s3.endpoint,
      bucket,
      secure: false,
      v4auth: true,
      rootdirectory: '/shared',
    },
  };
}

/** sha256 of the manifest bytes `host` serves for `repository:reference` (checked against its Docker-Content-Digest). */
async function rawDigest(host: string, ref: string): Promise<string> {
  const [repository, reference] = ref.split(':') as [string, string];
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${reference}`, { headers: { Accept: ACCEPT }, signal: AbortSignal.timeout(30_000) });
  expect(response.status, `GET ${ref} from ${host}`).to.equal(200);
  const digest = `sha256:${createHash('sha256').update(Buffer.from(await response.arrayBuffer())).digest('hex')}`;
  expect(response.headers.get('docker-content-digest'), `Docker-Content-Digest of ${ref} from ${host}`).to.equal(digest);
  return digest;
}

/**
 * Copies `ref` (every platform) out of `host` into a fresh OCI layout; returns the digest the layout records
 * (skopeo may rewrite a manifest on the way, so compare it with another copy, not with the served digest).
 */
async function copyOut(host: string, ref: string): Promise<string> {
  const layout = join((await tempDir('s3-interop-out')).path, 'layout');
  assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', '--all', `docker://${host}/${ref}`, `oci:${layout}:out`]));
  const index = await readLayoutIndex(layout);
  expect(index.manifests).to.have.length(1);
  return index.manifests[0]!.digest;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  expect(response.status, `GET ${url}`).to.equal(200);
  return response.json();
}

describe('an S3 bucket shared by our registry and the reference registry (distribution 2.8.2) @e2e', function () {
  this.timeout(180_000);
  after(cleanupTestbed);

  let s3: S3rver;
  let ours: RegistryProcess;
  let reference: ReferenceRegistry;
  let oci: BuiltImage;
  let docker: BuiltImage;
  let multi: MultiArchIndex;

  before(async () => {
    s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const dir = (await tempDir('s3-interop-images')).path;
    oci = await buildBusyboxImage(join(dir, 'layout'), { tag: 'oci', extraFileContent: 's3 interop oci' });
    docker = await buildBusyboxImage(join(dir, 'layout'), { tag: 'docker', extraFileContent: 's3 interop docker' });
    multi = await buildMultiArchIndex(join(dir, 'multi'), ['amd64', 'arm64'], { tag: 'multi', extraFileContent: 's3 interop multi' });
    // Ours with the default redirect (blob GETs answer 307 to a presigned s3rver URL); the reference streams.
    ours = await startRegistryProcess({ storageDriver: s3Driver(s3, bucket), deleteEnabled: true });
    reference = await startReferenceRegistry({
      storageDriver: s3Driver(s3, bucket),
      deleteEnabled: true,
      extraConfig: { storage: { redirect: { disable: true } } },
    });
  });

  it('the reference serves, byte for byte, the images our registry pushed to the bucket', async () => {
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', oci.ref, `docker://${ours.host}/from-ours/oci:v1`]));
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', '--format', 'v2s2', docker.ref, `docker://${ours.host}/from-ours/docker:v1`]));
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', '--all', multi.ref, `docker://${ours.host}/from-ours/multi:v1`]));

    for (const ref of ['from-ours/oci:v1', 'from-ours/docker:v1', 'from-ours/multi:v1']) {
      const digest = await rawDigest(ours.host, ref);
      expect(await rawDigest(reference.host, ref), ref).to.equal(digest);
      expect(await copyOut(reference.host, ref), ref).to.equal(await copyOut(ours.host, ref));
    }

    const catalog = (await getJson(`${reference.url}/v2/_catalog`)) as { repositories: string[] };
    expect(catalog.repositories).to.include.members(['from-ours/oci', 'from-ours/docker', 'from-ours/multi']);
    expect(await getJson(`${reference.url}/v2/from-ours/multi/tags/list`)).to.deep.equal({ name: 'from-ours/multi', tags: ['v1'] });
  });

  it('our registry serves what the reference wrote (mounted blobs, a manifest, a tag) and sees its deletes', async () => {
    // The reference links the blobs into a new repository and writes the manifest and the tag.
    const manifestResponse = await fetch(`${reference.url}/v2/from-ours/oci/manifests/v1`, { headers: { Accept: ACCEPT } });
    expect(manifestResponse.status).to.equal(200);
    const manifestBytes = Buffer.from(await manifestResponse.arrayBuffer());
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const mount = await fetch(`${reference.url}/v2/from-reference/busy/blobs/uploads/?mount=${digest}&from=from-ours/oci`, { method: 'POST' });
      expect(mount.status, `mount ${digest}`).to.equal(201);
    }
    const put = await fetch(`${reference.url}/v2/from-reference/busy/manifests/v2`, {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: manifestBytes,
    });
    expect(put.status, await put.clone().text()).to.equal(201);
    const written = put.headers.get('docker-content-digest');
    const pushed = await rawDigest(ours.host, 'from-ours/oci:v1');
    expect(written).to.equal(pushed);

    expect(await rawDigest(ours.host, 'from-reference/busy:v2')).to.equal(written);
    expect(await copyOut(ours.host, 'from-reference/busy:v2')).to.equal(await copyOut(reference.host, 'from-reference/busy:v2'));
    expect(await getJson(`${ours.url}/v2/from-reference/busy/tags/list`)).to.deep.equal({ name: 'from-reference/busy', tags: ['v2'] });

    // A manifest deleted through the reference is gone from ours too.
    const deleted = await fetch(`${reference.url}/v2/from-reference/busy/manifests/${written}`, { method: 'DELETE' });
    expect(deleted.status).to.equal(202);
    const head = await fetch(`${ours.url}/v2/from-reference/busy/manifests/${written}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
    expect(head.status).to.equal(404);
    // The blobs stay: the repository it came from still has them.
    expect(await rawDigest(ours.host, 'from-ours/oci:v1')).to.equal(pushed);
  });
});
