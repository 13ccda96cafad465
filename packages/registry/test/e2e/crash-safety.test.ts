// A crash at any point leaves the store consistent: the registry process is SIGKILLed mid-upload and
// mid-push, restarted on the same directory, and what it serves must be whole, resumable, or absent.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import type { RegistryApiClient } from '../api/api-client.js';
import { blobDescriptor, contentOf, imageConfig, imageManifest, MediaType, randomBlob, type Content } from '../api/oci-content.js';
import { expectRegistryError } from '../api/registry-assertions.js';
import { blobExistsOnDisk, sha256Of, startOurRegistry, uploadDirPath, type OurRegistry } from './interop-helpers.js';

const MiB = 1024 * 1024;

interface CrashedUpload {
  /** Path and query of the session, to replay against the restarted process. */
  path: string;
  uuid: string;
  sent: number;
}

/** Starts a session, streams the first `sent` bytes of `blob` in one PATCH, then SIGKILLs the registry. */
async function crashMidUpload(registry: OurRegistry, repository: string, blob: Buffer, sent: number): Promise<CrashedUpload> {
  const session = await registry.client.startUpload(repository);
  const url = new URL(session.location);
  const uuid = session.response.header('docker-upload-uuid') ?? url.pathname.split('/').pop() ?? '';
  const req = http.request(url, { method: 'PATCH', agent: false, headers: { 'Content-Type': 'application/octet-stream' } });
  req.on('error', () => undefined); // The kill resets the connection: that is the point.
  for (let offset = 0; offset < sent; offset += MiB) {
    if (!req.write(blob.subarray(offset, Math.min(offset + MiB, sent)))) await once(req, 'drain');
  }
  // Let the server take in what the socket holds, so "half" has reached it before the crash.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await registry.kill();
  req.destroy();
  return { path: url.pathname + url.search, uuid, sent };
}

/** GET by tag, then by the digest it answered: bytes hash to the digest and both answers agree. */
async function expectWholeManifest(client: RegistryApiClient, repository: string, tag: string): Promise<string> {
  const byTag = await client.fetchManifest(repository, tag);
  expect(byTag.status, `${repository}:${tag} is listed but does not resolve: ${byTag.text}`).to.equal(200);
  const digest = byTag.header('docker-content-digest') ?? '';
  expect(sha256Of(byTag.body), `${repository}:${tag}`).to.equal(digest);
  expect(() => JSON.parse(byTag.text) as unknown, `${repository}:${tag} is JSON`).to.not.throw();
  const byDigest = await client.fetchManifest(repository, digest);
  expect(byDigest.status).to.equal(200);
  expect(byDigest.body.equals(byTag.body)).to.equal(true);
  return digest;
}

describe('crash safety: SIGKILL during a large blob upload @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  const size = 64 * MiB;
  let blob: Buffer;
  let digest: string;

  before(() => {
    blob = randomBytes(size);
    digest = sha256Of(blob);
  });

  it('keeps the blob invisible and the session resumable from what reached disk', async () => {
    const root = join((await tempDir('crash-upload')).path, 'data');
    const first = await startOurRegistry({ rootDirectory: root });
    const crashed = await crashMidUpload(first, 'crash/big', blob, size / 2);
    expect(blobExistsOnDisk(root, digest), 'blob directory after the crash').to.equal(false);

    const registry = await startOurRegistry({ rootDirectory: root, port: first.port });
    expect((await registry.client.head(`/v2/crash/big/blobs/${digest}`)).status).to.equal(404);
    const status = await registry.client.get(crashed.path);
    expect(status.status, status.text).to.equal(204);
    expect(status.header('docker-upload-uuid')).to.equal(crashed.uuid);
    const range = /^0-(\d+)$/.exec(status.header('range') ?? '');
    expect(range, `Range ${String(status.header('range'))}`).to.not.equal(null);
    const onDisk = Number(range![1]) + 1;
    expect(onDisk).to.be.within(1, crashed.sent);
    const data = await readFile(join(uploadDirPath(root, 'crash/big', crashed.uuid), 'data'));
    expect(data.length, 'the Range is what the session file holds').to.equal(onDisk);
    expect(data.equals(blob.subarray(0, onDisk)), 'the bytes on disk are a prefix of what was sent').to.equal(true);

    const rest = await registry.client.patchChunk(registry.client.resolve(crashed.path), blob.subarray(onDisk), onDisk);
    expect(rest.status, rest.text).to.equal(202);
    expect(rest.header('range')).to.equal(`0-${size - 1}`);
    expect(blobExistsOnDisk(root, digest), 'blob directory before the closing PUT').to.equal(false);
    const done = await registry.client.completeUpload(registry.client.resolve(rest.header('location') ?? crashed.path), digest);
    expect(done.status, done.text).to.equal(201);

    const head = await registry.client.head(`/v2/crash/big/blobs/${digest}`);
    expect(head.status).to.equal(200);
    expect(head.header('content-length')).to.equal(String(size));
    expect(sha256Of((await registry.client.get(`/v2/crash/big/blobs/${digest}`)).body)).to.equal(digest);
    expect(existsSync(uploadDirPath(root, 'crash/big', crashed.uuid)), 'session directory after completion').to.equal(false);
    await registry.stop();
  });

  it('accepts a fresh upload of the same blob after the crash, and the abandoned session can be cancelled', async () => {
    const root = join((await tempDir('crash-fresh')).path, 'data');
    const first = await startOurRegistry({ rootDirectory: root });
    const crashed = await crashMidUpload(first, 'crash/fresh', blob, size / 2);

    const registry = await startOurRegistry({ rootDirectory: root, port: first.port });
    expect((await registry.client.head(`/v2/crash/fresh/blobs/${digest}`)).status).to.equal(404);
    const whole = await registry.client.postBlob('crash/fresh', { bytes: blob, digest, size });
    expect(whole.status, whole.text).to.equal(201);
    expect((await registry.client.head(`/v2/crash/fresh/blobs/${digest}`)).status).to.equal(200);

    expect((await registry.client.get(crashed.path)).status).to.equal(204);
    expect((await registry.client.delete(crashed.path)).status).to.equal(204);
    expect(existsSync(uploadDirPath(root, 'crash/fresh', crashed.uuid))).to.equal(false);
    expect(sha256Of((await registry.client.get(`/v2/crash/fresh/blobs/${digest}`)).body)).to.equal(digest);
    await registry.stop();
  });
});

describe('crash safety: SIGKILL during a burst of manifest pushes @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  // Three rounds, killed after a different number of acknowledged pushes, to land in different steps.
  for (const killAfter of [5, 17, 31]) {
    it(`leaves every listed tag resolving to whole content (killed after ${killAfter} of 50 pushes)`, async () => {
      const root = join((await tempDir('crash-tags')).path, 'data');
      const first = await startOurRegistry({ rootDirectory: root });
      const repository = 'crash/tags';
      const config = imageConfig();
      const layer = randomBlob(4096);
      await first.client.pushBlob(repository, config, MediaType.OciConfig);
      await first.client.pushBlob(repository, layer);
      const manifests = Array.from({ length: 50 }, (_, i) =>
        imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)], annotations: { n: String(i) } }),
      );

      // Four pushers in parallel, as a client pushing tags does; the kill lands while the others are mid-request.
      const acknowledged = new Map<string, string>();
      let killing: Promise<void> | undefined;
      let next = 0;
      const pusher = async (): Promise<void> => {
        for (let i = next++; i < manifests.length && killing === undefined; i = next++) {
          try {
            const response = await first.client.putManifest(repository, `t${i}`, manifests[i]!);
            if (response.status === 201) acknowledged.set(`t${i}`, manifests[i]!.digest);
            if (acknowledged.size >= killAfter) killing ??= first.kill();
          } catch {
            // Cut by the kill.
          }
        }
      };
      await Promise.all([pusher(), pusher(), pusher(), pusher()]);
      await (killing ?? first.kill());
      expect(acknowledged.size).to.be.within(killAfter, 49);

      const registry = await startOurRegistry({ rootDirectory: root, port: first.port });
      const tags = await registry.client.tagsOf(repository);
      for (const tag of acknowledged.keys()) expect(tags, `acknowledged tag ${tag}`).to.include(tag);
      for (const tag of tags) {
        const served = await expectWholeManifest(registry.client, repository, tag);
        const pushed = acknowledged.get(tag);
        if (pushed !== undefined) expect(served, tag).to.equal(pushed);
      }
      // Every revision on disk is whole too (a manifest pushed by the crash's last request included).
      const revisions = join(root, 'docker/registry/v2/repositories', repository, '_manifests/revisions/sha256');
      for (const hex of await readdir(revisions)) {
        if (!existsSync(join(revisions, hex, 'link'))) continue;
        const response = await registry.client.fetchManifest(repository, `sha256:${hex}`);
        expect(response.status, `revision sha256:${hex}`).to.equal(200);
        expect(sha256Of(response.body)).to.equal(`sha256:${hex}`);
      }
      await registry.stop();
    });
  }
});

describe('a digest mismatch leaves nothing behind @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  let registry: OurRegistry;
  let root: string;

  before(async () => {
    root = join((await tempDir('crash-mismatch')).path, 'data');
    registry = await startOurRegistry({ rootDirectory: root });
  });

  async function expectNothingFor(repository: string, blob: Content, claimed: string): Promise<void> {
    for (const digest of [blob.digest, claimed]) {
      expect((await registry.client.head(`/v2/${repository}/blobs/${digest}`)).status, digest).to.equal(404);
      expect(blobExistsOnDisk(root, digest), `blob directory for ${digest}`).to.equal(false);
    }
  }

  async function uploadsLeft(repository: string): Promise<string[]> {
    const dir = join(root, 'docker/registry/v2/repositories', repository, '_uploads');
    return existsSync(dir) ? readdir(dir) : [];
  }

  it('on the closing PUT of a chunked upload: 400 DIGEST_INVALID, no blob, no session, no upload directory', async () => {
    const blob = randomBlob(256 * 1024);
    const claimed = contentOf('something else').digest;
    const session = await registry.client.startUpload('mismatch/chunked');
    const uuid = session.response.header('docker-upload-uuid') ?? '';
    const patched = await registry.client.patchChunk(session.location, blob.bytes, 0);
    expect(patched.status).to.equal(202);

    const put = await registry.client.completeUpload(registry.client.resolve(patched.header('location') ?? session.location), claimed);
    expectRegistryError(put, 400, 'DIGEST_INVALID');

    await expectNothingFor('mismatch/chunked', blob, claimed);
    expectRegistryError(await registry.client.get(session.location), 404, 'BLOB_UPLOAD_UNKNOWN');
    expect(existsSync(uploadDirPath(root, 'mismatch/chunked', uuid))).to.equal(false);
    expect(await uploadsLeft('mismatch/chunked')).to.deep.equal([]);
  });

  it('on a PUT carrying the last chunk', async () => {
    const blob = randomBlob(64 * 1024);
    const claimed = contentOf('not this').digest;
    const session = await registry.client.startUpload('mismatch/last-chunk');
    const put = await registry.client.completeUpload(session.location, claimed, blob.bytes);
    expectRegistryError(put, 400, 'DIGEST_INVALID');
    await expectNothingFor('mismatch/last-chunk', blob, claimed);
    expect(await uploadsLeft('mismatch/last-chunk')).to.deep.equal([]);
  });

  it('on a monolithic POST ?digest=', async () => {
    const blob = randomBlob(64 * 1024);
    const claimed = contentOf('nor this').digest;
    const post = await registry.client.postBlob('mismatch/monolithic', { ...blob, digest: claimed });
    expectRegistryError(post, 400, 'DIGEST_INVALID');
    await expectNothingFor('mismatch/monolithic', blob, claimed);
    expect(await uploadsLeft('mismatch/monolithic')).to.deep.equal([]);
  });
});
