// Mirror mode with a real upstream: the reference registry (distribution 2.8.2) holding images, our registry
// as a separate process with `proxy.remoteurl` pointing at it. What a client sees, and what the upstream's
// access log says we asked it.
import { expect } from 'chai';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  freePort,
  skopeo,
  startReferenceRegistry,
  startRegistryProcess,
  tempDir,
  type AccessLogEntry,
  type ReferenceRegistry,
  type RegistryProcess,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { MediaType, sha256 } from '../api/oci-content.js';
import { pullImage, pushImage, type UpstreamImage } from './mirror-images.js';

/** A multi-layer image pushed into the upstream through the API (layers of random bytes). */
function pushUpstreamImage(upstream: ReferenceRegistry, repository: string, tag: string, layerSizes: number[]): Promise<UpstreamImage> {
  return pushImage(upstream.url, repository, tag, layerSizes);
}

function upstreamGets(log: AccessLogEntry[], repository: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of log) {
    if (entry.method !== 'GET' || !entry.path.startsWith(`/v2/${repository}/`)) continue;
    counts.set(entry.path, (counts.get(entry.path) ?? 0) + 1);
  }
  return counts;
}

describe('mirror mode with the reference registry as upstream @e2e', function () {
  this.timeout(120_000);
  let upstream: ReferenceRegistry;
  let mirror: RegistryProcess;

  let debugUrl: string;
  const mirrorVars = async (): Promise<Record<string, number>> =>
    ((await (await fetch(`${debugUrl}/debug/vars`)).json()) as { mirror: Record<string, number> }).mirror;

  before(async () => {
    upstream = await startReferenceRegistry();
    const debugPort = await freePort();
    debugUrl = `http://127.0.0.1:${debugPort}`;
    // One worker: these tests count upstream manifest requests, and concurrent clients share one manifest fetch per
    // process. Across workers the one download per blob (workers.test.ts) and tag revalidation times are shared;
    // a manifest nobody has yet is fetched once by each worker that is asked for it at the same moment.
    mirror = await startRegistryProcess({ config: { proxy: { remoteurl: upstream.url }, http: { workers: 1, debug: { addr: `127.0.0.1:${debugPort}` } } } });
  });
  after(cleanupTestbed);

  it('serves an upstream image to skopeo, and the copy is the upstream image', async () => {
    const work = (await tempDir('mirror-skopeo')).path;
    const image = await buildBusyboxImage(`${work}/busybox`, { extraFileContent: 'from upstream' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${upstream.host}/library/busybox:latest`]));

    const inspected = assertSucceeded(await skopeo(['inspect', '--tls-verify=false', `docker://${mirror.host}/library/busybox:latest`]));
    expect((JSON.parse(inspected.stdout) as { Digest: string }).Digest).to.equal(image.manifestDigest);
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${mirror.host}/library/busybox:latest`, `oci:${work}/copy:latest`]));
  });

  it('50 concurrent cold pulls of a multi-layer image make exactly one upstream GET per blob and per manifest', async () => {
    const image = await pushUpstreamImage(upstream, 'team/multi', 'v1', [3 << 20, 2 << 20, 1 << 20, 512 << 10, 64 << 10]);
    const before = await upstream.accessLog();
    const varsBefore = await mirrorVars();

    await Promise.all(Array.from({ length: 50 }, () => pullImage(mirror.url, image)));

    const gets = upstreamGets((await upstream.accessLog()).slice(before.length), image.repository);
    for (const blob of image.blobs) expect(gets.get(`/v2/${image.repository}/blobs/${blob.digest}`), `GETs of ${blob.digest}`).to.equal(1);
    const manifestGets = [...gets.entries()].filter(([path]) => path.includes('/manifests/'));
    expect(manifestGets, JSON.stringify(manifestGets)).to.deep.equal([[`/v2/${image.repository}/manifests/${image.manifest.digest}`, 1]]);
    // The counters operators read on the debug port say the same: one miss per blob and one for the manifest,
    // the image's bytes fetched once, the other requests joined a download or hit the cache.
    const varsAfter = await mirrorVars();
    const delta = (key: string): number => (varsAfter[key] ?? 0) - (varsBefore[key] ?? 0);
    const imageBytes = image.blobs.reduce((sum, b) => sum + b.size, 0) + image.manifest.size;
    // Each blob is downloaded once: ahead of the clients (prefetched, from the manifest) or for the first to ask.
    expect(delta('misses') + delta('prefetched')).to.equal(image.blobs.length + 1);
    expect(delta('upstreamBytes')).to.equal(imageBytes);
    expect(delta('coalesced')).to.be.greaterThan(0);
    expect(delta('coalesced') + delta('hits')).to.equal(50 * (image.blobs.length + 1) - delta('misses'));
  });

  it('serves a tag from the cache within the revalidation interval without asking upstream', async () => {
    const image = await pushUpstreamImage(upstream, 'team/cached', 'v1', [4096]);
    await pullImage(mirror.url, image);
    const before = await upstream.accessLog();

    await pullImage(mirror.url, image);

    const after = (await upstream.accessLog()).slice(before.length).filter((e) => e.path.startsWith(`/v2/${image.repository}/`));
    expect(after).to.deep.equal([]);
  });

  it('keeps pushes working: a pushed name is served locally and never asked upstream', async () => {
    const client = new RegistryApiClient(mirror.url);
    const before = await upstream.accessLog();

    const pushed = await client.pushImage('team/own-app', 'v1');
    const response = await client.fetchManifest('team/own-app', 'v1');

    expect(response.status).to.equal(200);
    expect(sha256(response.body)).to.equal(pushed.manifest.digest);
    expect((await client.fetchManifest('team/own-app', 'missing')).status).to.equal(404);
    const asked = (await upstream.accessLog()).slice(before.length).filter((e) => e.path.includes('team/own-app'));
    expect(asked).to.deep.equal([]);
  });

  it("lists the upstream's tags for a mirrored name", async () => {
    const image = await pushUpstreamImage(upstream, 'team/tagged', 'v1', [1024]);
    await new RegistryApiClient(upstream.url).pushManifest(image.repository, 'v2', image.manifest);
    const response = await new RegistryApiClient(mirror.url).get(`/v2/${image.repository}/tags/list`);
    expect(response.status, response.text).to.equal(200);
    expect(JSON.parse(response.text)).to.deep.equal({ name: image.repository, tags: ['v1', 'v2'] });
  });

  it('answers 404 MANIFEST_UNKNOWN for a tag the upstream does not have', async () => {
    const response = await new RegistryApiClient(mirror.url).fetchManifest('team/nothing-here', 'v1');
    expect(response.status).to.equal(404);
    expect(response.text).to.include('MANIFEST_UNKNOWN');
  });

  it('containerd-style ?ns=docker.io requests reach the upstream', async () => {
    const image = await pushUpstreamImage(upstream, 'library/ns-test', 'latest', [2048]);
    const response = await new RegistryApiClient(mirror.url).get(`/v2/library/ns-test/manifests/latest?ns=docker.io`, {
      Accept: MediaType.OciManifest,
    });
    expect(response.status, response.text).to.equal(200);
    expect(sha256(response.body)).to.equal(image.manifest.digest);
  });

  describe('when the upstream goes away', () => {
    let cached: UpstreamImage;
    let local: RegistryProcess;

    before(async () => {
      const ownUpstream = await startReferenceRegistry();
      cached = await pushUpstreamImage(ownUpstream, 'team/offline', 'v1', [1 << 20, 8192]);
      local = await startRegistryProcess({ config: { proxy: { remoteurl: ownUpstream.url, tagrevalidate: '0s' } } });
      await pullImage(local.url, cached);
      await new RegistryApiClient(local.url).pushImage('team/local-only', 'v1');
      await ownUpstream.stop();
    });

    it('still serves every cached image, its tag included, marked stale', async () => {
      await pullImage(local.url, cached);
      const response = await new RegistryApiClient(local.url).fetchManifest(cached.repository, cached.tag);
      expect(response.header('warning')).to.match(/^299 - "Response is stale/);
    });

    it('lists the cached tags while the upstream is down', async () => {
      const response = await new RegistryApiClient(local.url).get(`/v2/${cached.repository}/tags/list`);
      expect(response.status, response.text).to.equal(200);
      expect(JSON.parse(response.text)).to.deep.equal({ name: cached.repository, tags: ['v1'] });
    });

    it('fails only a never-seen name, with 503 UNAVAILABLE naming the upstream', async () => {
      const response = await new RegistryApiClient(local.url).fetchManifest('team/never-seen', 'v1');
      expect(response.status).to.equal(503);
      expect(response.text).to.include('UNAVAILABLE');
      expect(response.text).to.match(/upstream 127\.0\.0\.1:\d+ is unavailable/);
    });

    it('takes a skopeo push of a new name while the upstream is down (blob HEADs never go upstream)', async () => {
      const work = (await tempDir('mirror-push-offline')).path;
      const image = await buildBusyboxImage(`${work}/img`, { extraFileContent: 'pushed while offline' });
      const offline = await startRegistryProcess({ config: { proxy: { remoteurl: 'http://127.0.0.1:1' } } });
      assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${offline.host}/team/new:1`]));
      const inspected = assertSucceeded(await skopeo(['inspect', '--tls-verify=false', `docker://${offline.host}/team/new:1`]));
      expect((JSON.parse(inspected.stdout) as { Digest: string }).Digest).to.equal(image.manifestDigest);
    });

    it('starts while the upstream is down and serves its local repositories and cache', async () => {
      await local.stop();
      const restarted = await startRegistryProcess({ rootDirectory: local.rootDirectory, config: { proxy: { remoteurl: 'http://127.0.0.1:1' } } });
      const client = new RegistryApiClient(restarted.url);
      expect((await client.fetchManifest('team/local-only', 'v1')).status).to.equal(200);
      expect((await client.fetchManifest(cached.repository, cached.manifest.digest)).status).to.equal(200);
    });
  });
});
