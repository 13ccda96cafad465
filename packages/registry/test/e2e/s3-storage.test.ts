// Our registry on S3 (a real s3rver process) as operators configure it: environment only, and a config.yml
// in distribution's shape. Real clients (skopeo, podman, docker) push and pull through it, with blob GETs
// redirected to presigned S3 URLs or streamed by the registry; and S3 answering 503/500 through a fault proxy.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  podman,
  readLogText,
  skopeo,
  startDockerd,
  startHttpFaultProxy,
  startS3rver,
  tempDir,
  type BuiltImage,
  type HttpFaultProxy,
  type S3rver,
} from '@private-registry/testbed';
import { defaultWorkers } from '../../src/config/config-defaults.js';
import { RegistryApiClient } from '../api/api-client.js';
import { contentOf, randomBlob, sha256 } from '../api/oci-content.js';
import { randomToken, readLayoutImage, uniqueRepository } from './registry-under-test.js';
import { s3ConfigText, startS3Registry, type S3RegistryProcess } from './s3-registry.js';

/** Asserts the log holds no secret key (s3rver's secret and access key are the same string: neither may show). */
function expectNoCredentials(text: string, s3: S3rver, where: string): void {
  expect(text.includes(s3.secretKey), `${where} shows the S3 credentials:\n${text.slice(0, 4000)}`).to.equal(false);
}

/** Copies the image out of the registry into a fresh OCI layout and checks every digest against the original. */
async function expectPullsBack(host: string, ref: string, image: BuiltImage, work: string): Promise<void> {
  const layout = join(work, `pulled-${randomBytes(4).toString('hex')}`);
  assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/${ref}`, `oci:${layout}:pulled`]));
  const original = await readLayoutImage(image.layoutDir, image.tag);
  const pulled = await readLayoutImage(layout, 'pulled');
  expect(pulled.manifestDigest).to.equal(original.manifestDigest);
  expect(pulled.configDigest).to.equal(original.configDigest);
  expect(pulled.layerDigests).to.deep.equal(original.layerDigests);
}

describe('registry on S3 (s3rver), configured as operators do @e2e', function () {
  this.timeout(120_000);
  let s3: S3rver;
  let work: string;
  let image: BuiltImage;

  before(async function () {
    s3 = await startS3rver();
    work = (await tempDir('s3-e2e')).path;
    image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: `s3 e2e ${randomToken()}` });
  });
  after(cleanupTestbed);

  describe('environment only (REGISTRY_STORAGE=s3 and REGISTRY_STORAGE_S3_*), redirects on (the default)', function () {
    let registry: S3RegistryProcess;
    const repository = uniqueRepository('s3-env');

    before(async function () {
      const bucket = await s3.createBucket();
      registry = await startS3Registry({
        configText: `version: 0.1\nlog:\n  level: info\nhttp:\n  addr: {{ADDR}}\n`,
        env: {
          REGISTRY_STORAGE: 's3',
          REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
          REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey,
          REGISTRY_STORAGE_S3_REGION: s3.region,
          REGISTRY_STORAGE_S3_BUCKET: bucket,
          REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint,
        },
      });
      assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/${repository}:latest`]));
    });

    it('stores an image pushed with skopeo and gives the same digests back (blobs through presigned redirects)', async function () {
      const offset = await registry.logOffset();
      await expectPullsBack(registry.host, `${repository}:latest`, image, work);
      const requests = await registry.requestsSince(offset, (e) => e.method === 'GET' && e.url.includes('/blobs/'));
      const blobGets = requests.filter((e) => e.method === 'GET' && e.url.includes('/blobs/sha256:'));
      expect(blobGets, JSON.stringify(requests)).to.not.be.empty;
      expect(blobGets.every((e) => e.status === 307), JSON.stringify(blobGets)).to.equal(true);
    });

    it('answers a blob GET with 307 to a presigned s3rver URL that serves the exact bytes', async function () {
      const client = new RegistryApiClient(registry.url);
      const content = randomBlob(300 * 1024);
      await client.pushBlob(repository, content);

      const response = await client.get(`/v2/${repository}/blobs/${content.digest}`);

      expect(response.status, response.text).to.equal(307);
      const location = new URL(response.header('location') ?? '');
      expect(location.origin).to.equal(s3.endpoint);
      expect(location.searchParams.get('X-Amz-Signature')).to.match(/^[0-9a-f]{64}$/);
      expect(location.searchParams.has('X-Amz-Expires')).to.equal(true);
      const followed = await fetch(location);
      expect(followed.status).to.equal(200);
      expect(sha256(Buffer.from(await followed.arrayBuffer()))).to.equal(content.digest);
      // HEAD is answered by the registry itself.
      const head = await client.head(`/v2/${repository}/blobs/${content.digest}`);
      expect(head.status).to.equal(200);
      expect(head.header('content-length')).to.equal(String(content.bytes.length));
    });

    it('a real dockerd pulls (following the 307s to S3) and runs the image pushed with skopeo', async function () {
      this.timeout(150_000);
      const dockerd = await startDockerd();
      const ref = `${registry.host}/${repository}:latest`;
      const offset = await registry.logOffset();

      assertSucceeded(await dockerd.docker(['pull', ref], { timeoutMs: 90_000 }));

      const requests = await registry.requestsSince(offset, (e) => e.method === 'GET' && e.url.includes('/blobs/sha256:'));
      const blobGets = requests.filter((e) => e.method === 'GET' && e.url.includes('/blobs/sha256:'));
      expect(blobGets, JSON.stringify(requests)).to.not.be.empty;
      expect(blobGets.every((e) => e.status === 307), JSON.stringify(blobGets)).to.equal(true);
      const token = randomToken();
      const run = assertSucceeded(await dockerd.docker(['run', '--rm', ref, '/bin/busybox', 'echo', token]));
      expect(run.stdout.trim()).to.equal(token);
      const repoDigests = assertSucceeded(await dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', ref]));
      expect(JSON.parse(repoDigests.stdout) as string[]).to.include(`${registry.host}/${repository}@${image.manifestDigest}`);
    });

    it('never writes the secret key, nor a presigned URL (a bearer credential for its lifetime), to its log', async function () {
      const log = await registry.logText();
      expectNoCredentials(log, s3, 'the registry log');
      expect(log).to.not.include('X-Amz-Signature');
    });
  });

  describe('config.yml in distribution shape (v4auth: no, redirect disabled, delete enabled)', function () {
    let registry: S3RegistryProcess;
    let podmanRoot: string;
    const repository = uniqueRepository('s3-yml');

    before(async function () {
      const bucket = await s3.createBucket();
      const endpoint = new URL(s3.endpoint);
      registry = await startS3Registry({
        configText: [
          'version: 0.1',
          'log:',
          '  level: info',
          'http:',
          '  addr: {{ADDR}}',
          'storage:',
          '  s3:',
          `    accesskey: ${s3.accessKey}`,
          `    secretkey: ${s3.secretKey}`,
          `    region: ${s3.region}`,
          `    regionendpoint: ${endpoint.host}`,
          '    secure: false',
          `    bucket: ${bucket}`,
          '    v4auth: no',
          '  redirect:',
          '    disable: yes',
          '  delete:',
          '    enabled: true',
          '',
        ].join('\n'),
      });
      podmanRoot = (await tempDir('s3-podman')).path;
      assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/${repository}:latest`]));
    });

    it('warns about v4auth: no and keeps serving', async function () {
      const log = await registry.logText();
      const warning = log.split('\n').find((line) => line.includes('v4auth'));
      expect(warning, log).to.match(/"level":"warn"/);
      expect(warning).to.include('signature version 4');
      expect(registry.process.isRunning()).to.equal(true);
      expect((await fetch(`${registry.url}/v2/`)).status).to.equal(200);
    });

    it('streams blobs itself (200, no redirect) and skopeo gets the same digests back', async function () {
      const offset = await registry.logOffset();
      await expectPullsBack(registry.host, `${repository}:latest`, image, work);
      const requests = await registry.requestsSince(offset, (e) => e.method === 'GET' && e.url.includes('/blobs/sha256:'));
      const blobGets = requests.filter((e) => e.method === 'GET' && e.url.includes('/blobs/sha256:'));
      expect(blobGets, JSON.stringify(requests)).to.not.be.empty;
      expect(blobGets.every((e) => e.status === 200), JSON.stringify(blobGets)).to.equal(true);
    });

    it('podman pulls the image pushed with skopeo, with the pushed digest', async function () {
      const ref = `${registry.host}/${repository}:latest`;
      assertSucceeded(await podman(['pull', '--tls-verify=false', ref], { root: podmanRoot, timeoutMs: 90_000 }));
      const digest = assertSucceeded(await podman(['image', 'inspect', '--format', '{{.Digest}}', ref], { root: podmanRoot }));
      expect(digest.stdout.trim()).to.equal(image.manifestDigest);
    });

    it('deletes a manifest (delete enabled): 202, then 404', async function () {
      const client = new RegistryApiClient(registry.url);
      const target = uniqueRepository('s3-yml-delete');
      const pushed = await client.pushImage(target, 'v1');
      const digest = pushed.manifest.digest;
      expect((await client.fetchManifest(target, 'v1')).status).to.equal(200);

      const deleted = await client.delete(`/v2/${target}/manifests/${digest}`);

      expect(deleted.status, deleted.text).to.equal(202);
      expect((await client.fetchManifest(target, digest)).status).to.equal(404);
      expect((await client.fetchManifest(target, 'v1')).status).to.equal(404);
    });

    it('never writes the secret key to its log', async function () {
      expectNoCredentials(await registry.logText(), s3, 'the registry log');
    });
  });

  describe('S3 answering errors (a fault proxy in front of s3rver)', function () {
    let registry: S3RegistryProcess;
    let fault: HttpFaultProxy;
    let client: RegistryApiClient;
    let blobDigest: string;
    let manifestDigest: string;
    const repository = uniqueRepository('s3-faults');
    /** Observed: 503s in 0.23-0.3 s (4 attempts per S3 call, backoff at most 0.2+0.4+0.8 s); bound with margin. */
    const ANSWER_BOUND_MS = 5_000;

    before(async function () {
      const bucket = await s3.createBucket();
      fault = await startHttpFaultProxy(s3.endpoint);
      registry = await startS3Registry({ configText: s3ConfigText(s3, { bucket, endpoint: fault.url, redirectDisable: true }) });
      // Each worker reads the store as it starts (preflight, UI session key), and the registry answers when its first
      // worker does: wait for all of them, or a late one's start is counted among the requests made while S3 fails.
      if (defaultWorkers() > 1) await registry.process.waitForLog('workers serving', { timeoutMs: 15_000 });
      client = new RegistryApiClient(registry.url);
      const pushed = await client.pushImage(repository, 'v1');
      blobDigest = pushed.layers[0]!.digest;
      manifestDigest = pushed.manifest.digest;
    });
    afterEach(() => fault.setMode({ kind: 'pass' }));

    for (const status of [503, 500]) {
      it(`S3 ${status}: blob and manifest GETs answer 503 UNAVAILABLE in bounded time, /v2/ stays 200, no credentials leak`, async function () {
        fault.setMode({ kind: 'status', status });
        const seenBefore = fault.requests.length;
        const logOffset = await registry.logOffset();

        const started = Date.now();
        const [blob, manifest, byTag, base] = await Promise.all([
          client.get(`/v2/${repository}/blobs/${blobDigest}`),
          client.fetchManifest(repository, manifestDigest),
          client.fetchManifest(repository, 'v1'),
          (async () => {
            await new Promise((resolve) => setTimeout(resolve, 100));
            const t = Date.now();
            const response = await client.get('/v2/');
            return { response, ms: Date.now() - t };
          })(),
        ]);
        const elapsed = Date.now() - started;

        for (const [what, response] of [['blob', blob], ['manifest by digest', manifest], ['manifest by tag', byTag]] as const) {
          expect(response.status, `${what}: ${response.text}`).to.equal(503);
          const errors = response.json<{ errors: { code: string; message: string }[] }>().errors;
          expect(errors[0]?.code, response.text).to.equal('UNAVAILABLE');
          expectNoCredentials(response.text, s3, `the ${what} response`);
        }
        expect(elapsed, `503s took ${elapsed} ms`).to.be.below(ANSWER_BOUND_MS);
        expect(base.response.status).to.equal(200);
        expect(base.ms, 'GET /v2/ while S3 fails').to.be.below(1_000);
        // Bounded retries: each S3 call is tried 4 times (the SDK's standard mode), not forever.
        const s3Requests = fault.requests.length - seenBefore;
        // Three registry requests, each failing at its first S3 call after the SDK's 4 attempts (observed: 12), and
        // room for a readiness probe's attempts.
        expect(s3Requests, 'S3 requests while failing').to.be.within(6, 16);
        console.log(`      (S3 ${status}: 503s after ${elapsed} ms; ${s3Requests} S3 requests; blob GET said: ${blob.text})`);

        // The operator's log says what failed: the S3 status and the attempts made.
        const logged = await readLogText(registry.logFile, logOffset);
        expect(logged, logged).to.match(new RegExp(`HTTP ${status}\\) after 4 attempts`));

        fault.setMode({ kind: 'pass' });
        const again = await client.get(`/v2/${repository}/blobs/${blobDigest}`);
        expect(again.status).to.equal(200);
        expect(sha256(again.body)).to.equal(blobDigest);
        expect((await client.fetchManifest(repository, 'v1')).status).to.equal(200);
        expectNoCredentials(await registry.logText(), s3, 'the registry log');
      });
    }

    it('S3 unreachable (connection refused): GETs answer 503 UNAVAILABLE in bounded time and /v2/ stays 200', async function () {
      const down = await startS3Registry({ configText: s3ConfigText(s3, { bucket: 'unreachable', endpoint: 'http://127.0.0.1:1', redirectDisable: true }) });
      const downClient = new RegistryApiClient(down.url);
      const started = Date.now();
      const [blob, manifest, base] = await Promise.all([
        downClient.get(`/v2/${repository}/blobs/${blobDigest}`),
        downClient.fetchManifest(repository, 'v1'),
        downClient.get('/v2/'),
      ]);
      expect(Date.now() - started).to.be.below(ANSWER_BOUND_MS);
      expect(base.status).to.equal(200);
      for (const response of [blob, manifest]) {
        expect(response.status, response.text).to.equal(503);
        expect(response.text).to.include('UNAVAILABLE');
        expect(response.text).not.to.include(s3.secretKey);
      }
      await down.stop();
    });

    it('an upload whose closing PUT fails at any S3 request leaves no partial blob visible; a retried or re-pushed upload then works', async function () {
      this.timeout(180_000);
      // How many S3 requests a closing PUT makes when all goes well.
      const probe = contentOf(randomBytes(64 * 1024));
      const probeSession = await client.startUpload(repository);
      expect((await client.patchChunk(probeSession.location, probe.bytes, 0)).status).to.equal(202);
      const before = fault.requests.length;
      expect((await client.completeUpload(probeSession.location, probe.digest)).status).to.equal(201);
      const putRequests = fault.requests.length - before;
      expect(putRequests).to.be.greaterThan(0);

      const outcomes: string[] = [];
      for (let passes = 0; passes < putRequests; passes += 1) {
        const content = contentOf(randomBytes(64 * 1024));
        const session = await client.startUpload(repository);
        expect((await client.patchChunk(session.location, content.bytes, 0)).status).to.equal(202);
        const failFrom = fault.requests.length + passes;
        fault.setMode({ kind: 'passThen', passes, status: 503 });
        const put = await client.completeUpload(session.location, content.digest);
        fault.setMode({ kind: 'pass' });

        const head = await client.head(`/v2/${repository}/blobs/${content.digest}`);
        // Once S3 is back the client retries the closing PUT; where the session is gone (the data was already
        // moved into the blob store), it pushes the blob again, as docker and containerd do: either way the
        // blob ends up whole and visible.
        let retry = await client.completeUpload(session.location, content.digest);
        let recovery = `retry ${retry.status}`;
        if (retry.status === 404) {
          expect(retry.json<{ errors: { code: string }[] }>().errors[0]?.code, retry.text).to.equal('BLOB_UPLOAD_UNKNOWN');
          const again = await client.startUpload(repository);
          retry = await client.completeUpload(again.location, content.digest, content.bytes);
          recovery += ` then re-push ${retry.status}`;
        }
        expect(retry.status, `recovering from a PUT failing from S3 request ${passes}: ${recovery} ${retry.text}`).to.equal(201);
        expect((await client.head(`/v2/${repository}/blobs/${content.digest}`)).status).to.equal(200);
        expect(sha256((await client.get(`/v2/${repository}/blobs/${content.digest}`)).body)).to.equal(content.digest);
        outcomes.push(`${passes}:${fault.requests[failFrom]?.method ?? '?'} ${(fault.requests[failFrom]?.path ?? '').replace(/^.*\/v2\//, '').slice(0, 60)}→PUT ${put.status}/HEAD ${head.status}/${recovery}`);
        if (put.status === 201) {
          // The failure hit only clean-up after the commit: the blob is whole.
          expect(head.status, `after ${passes} S3 requests`).to.equal(200);
          const get = await client.get(`/v2/${repository}/blobs/${content.digest}`);
          expect(sha256(get.body)).to.equal(content.digest);
          continue;
        }
        expect(put.status, `PUT failing after ${passes} S3 requests: ${put.text}`).to.equal(503);
        expectNoCredentials(put.text, s3, 'the PUT response');
        if (head.status === 200) {
          // Visible only if whole: the commit itself went through before the failure.
          const get = await client.get(`/v2/${repository}/blobs/${content.digest}`);
          expect(sha256(get.body), `a partial blob is visible after ${passes} S3 requests`).to.equal(content.digest);
        } else {
          expect(head.status, `HEAD after a PUT failing after ${passes} S3 requests`).to.equal(404);
        }
      }
      console.log(`      (closing PUT makes ${putRequests} S3 requests; failing from request n: ${outcomes.join(', ')})`);
    });
  });
});
