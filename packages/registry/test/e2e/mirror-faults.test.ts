// Mirror mode against a sick upstream (the reference registry behind a proxy that can answer 503 or 429, or
// hang), and with several upstreams routed by prefix. Cached content keeps flowing; only what was never
// cached fails, with the status that says why.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { cleanupTestbed, startHttpFaultProxy, startReferenceRegistry, startRegistryProcess, type HttpFaultProxy, type ReferenceRegistry, type RegistryProcess, waitUntil } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { contentOf, sha256 } from '../api/oci-content.js';
import { pushImage, type UpstreamImage } from './mirror-images.js';

/** An image with one 64 KiB layer; `layerDigest` is that layer's. */
async function pushSmallImage(registry: string, repository: string, tag: string): Promise<UpstreamImage & { layerDigest: string }> {
  const image = await pushImage(registry, repository, tag, [64 * 1024]);
  return { ...image, layerDigest: image.blobs[1]!.digest };
}

describe('mirror mode with a failing upstream @e2e', function () {
  this.timeout(60_000);
  let upstream: ReferenceRegistry;
  let fault: HttpFaultProxy;
  let mirror: RegistryProcess;
  let cached: UpstreamImage & { layerDigest: string };
  let client: RegistryApiClient;

  before(async () => {
    upstream = await startReferenceRegistry();
    fault = await startHttpFaultProxy(upstream.url);
    mirror = await startRegistryProcess({ config: { proxy: { remoteurl: fault.url, tagrevalidate: '0s', timeout: '2s' } } });
    client = new RegistryApiClient(mirror.url);
    cached = await pushSmallImage(upstream.url, 'team/cached', 'v1');
    await pushSmallImage(upstream.url, 'team/never-pulled', 'v1');
    expect((await client.fetchManifest('team/cached', 'v1')).status).to.equal(200);
    expect((await client.get(`/v2/team/cached/blobs/${cached.layerDigest}`)).status).to.equal(200);
  });
  afterEach(() => fault.setMode({ kind: 'pass' }));
  after(cleanupTestbed);

  for (const [what, mode, status, code] of [
    ['503', { kind: 'status', status: 503 }, 503, 'UNAVAILABLE'],
    ['500', { kind: 'status', status: 500 }, 503, 'UNAVAILABLE'],
    ['429', { kind: 'status', status: 429 }, 429, 'TOOMANYREQUESTS'],
    ['no answer within proxy.timeout', { kind: 'hang' }, 503, 'UNAVAILABLE'],
  ] as const) {
    it(`upstream ${what}: the cached tag and blob are served, a never-pulled name gets ${status} ${code}`, async () => {
      fault.setMode(mode);

      const manifest = await client.fetchManifest('team/cached', 'v1');
      expect(manifest.status, manifest.text).to.equal(200);
      expect(sha256(manifest.body)).to.equal(cached.manifest.digest);
      expect(manifest.header('warning')).to.match(/^299 - "Response is stale/);
      const blob = await client.get(`/v2/team/cached/blobs/${cached.layerDigest}`);
      expect(blob.status).to.equal(200);
      const fresh = await client.fetchManifest('team/never-pulled', 'v1');
      expect(fresh.status, fresh.text).to.equal(status);
      expect(fresh.text).to.include(code);
    });
  }

  it('serves a second client from the download under way, as the bytes arrive, not after the end', async () => {
    const big = contentOf(randomBytes(2 * 1024 * 1024));
    await new RegistryApiClient(upstream.url).pushBlob('team/slow', big);
    fault.setMode({ kind: 'throttle', bytesPerSecond: 1024 * 1024 });
    const url = `${mirror.url}/v2/team/slow/blobs/${big.digest}`;

    const first = fetch(url).then((r) => r.arrayBuffer());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const second = await fetch(url);
    const reader = second.body!.getReader();
    const firstChunk = await reader.read();
    const firstByteMs = Date.now() - started;
    const rest: Uint8Array[] = [firstChunk.value!];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest.push(chunk.value);
    const totalMs = Date.now() - started;

    expect(sha256(Buffer.from(await first))).to.equal(big.digest);
    expect(sha256(Buffer.concat(rest))).to.equal(big.digest);
    // The download takes about 2 s; the second client's first bytes come long before it ends.
    expect(firstByteMs).to.be.below(totalMs / 2);
    expect(fault.requests.filter((r) => r.path === `/v2/team/slow/blobs/${big.digest}` && r.method === 'GET')).to.have.length(1);
  });

  it('caches nothing when the upstream sends bytes that do not match the digest', async () => {
    const blob = contentOf(randomBytes(256 * 1024));
    await new RegistryApiClient(upstream.url).pushBlob('team/corrupt', blob);
    fault.setMode({ kind: 'corrupt' });

    const broken = await fetch(`${mirror.url}/v2/team/corrupt/blobs/${blob.digest}`)
      .then(async (r) => sha256(Buffer.from(await r.arrayBuffer())))
      .catch(() => 'connection cut');
    // The last byte is held back until the digest is checked: the client gets a cut connection, never a
    // whole body with the wrong content.
    expect(broken).to.equal('connection cut');

    fault.setMode({ kind: 'pass' });
    const good = await client.get(`/v2/team/corrupt/blobs/${blob.digest}`);
    expect(good.status).to.equal(200);
    expect(sha256(good.body)).to.equal(blob.digest);
    // The bad copy never became visible: the good one was fetched again.
    expect(fault.requests.filter((r) => r.path === `/v2/team/corrupt/blobs/${blob.digest}` && r.method === 'GET')).to.have.length(2);
  });

  it('keeps serving other requests while a download hangs', async () => {
    fault.setMode({ kind: 'hang' });
    const hanging = client.fetchManifest('team/never-pulled', 'v1');
    const started = Date.now();
    const own = await client.get('/v2/');
    expect(own.status).to.equal(200);
    expect(Date.now() - started).to.be.below(500);
    expect((await hanging).status).to.equal(503);
  });
});

describe('mirror mode with several upstreams routed by prefix @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('sends names under a prefix to that upstream (prefix taken off) and the rest to the default one', async () => {
    const hub = await startReferenceRegistry();
    const quay = await startReferenceRegistry();
    const fromHub = await pushSmallImage(hub.url, 'library/alpine', 'latest');
    const fromQuay = await pushSmallImage(quay.url, 'team/tool', 'v1');
    const mirror: RegistryProcess = await startRegistryProcess({
      config: { proxy: { upstreams: [{ url: hub.url }, { name: 'quay', url: quay.url, prefix: 'quay.io' }] } },
    });
    const client = new RegistryApiClient(mirror.url);

    const alpine = await client.fetchManifest('library/alpine', 'latest');
    const tool = await client.fetchManifest('quay.io/team/tool', 'v1');

    expect(sha256(alpine.body)).to.equal(fromHub.manifest.digest);
    expect(sha256(tool.body)).to.equal(fromQuay.manifest.digest);
    expect((await client.get(`/v2/quay.io/team/tool/blobs/${fromQuay.layerDigest}`)).status).to.equal(200);
    // The upstream writes its access log line once its answer is sent, which may be after ours was read.
    await waitUntil(async () => (await quay.accessLog()).some((e) => e.path === `/v2/team/tool/blobs/${fromQuay.layerDigest}`), 5_000, 'the blob GET in quay\'s access log');
    expect((await hub.accessLog()).some((e) => e.path.includes('team/tool'))).to.equal(false);
    expect((await client.fetchManifest('quay.io/team/none', 'v1')).status).to.equal(404);
  });
});
