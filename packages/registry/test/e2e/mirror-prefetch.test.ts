// A cold pull through the mirror, fetched ahead: a GET of an image manifest the mirror had to fetch starts the
// downloads of its config and layers before the client asks for them, each blob still fetched from the upstream
// once; a HEAD (how tag watchers check for updates) downloads nothing, nor does `proxy.prefetch: 0`; and when the
// client goes away, what was still queued is dropped while a download under way finishes and is cached, leaving
// no spool file. The upstream is the reference registry (distribution 2.8.2), behind a proxy that can slow it.
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  cleanupTestbed,
  freePort,
  startHttpFaultProxy,
  startReferenceRegistry,
  startRegistryProcess,
  type AccessLogEntry,
  type HttpFaultProxy,
  type ReferenceRegistry,
  type RegistryProcess,
  waitUntil,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { pullImage, pushImage, type UpstreamImage } from './mirror-images.js';

/** Upstream GETs of each blob of `image`, from the reference's access log since `offset`. */
function blobGets(log: AccessLogEntry[], image: UpstreamImage): number[] {
  return image.blobs.map((blob) => log.filter((e) => e.method === 'GET' && e.path === `/v2/${image.repository}/blobs/${blob.digest}`).length);
}

async function storedInMirror(mirror: RegistryProcess, image: UpstreamImage): Promise<boolean[]> {
  const client = new RegistryApiClient(mirror.url);
  // A blob HEAD is answered from the mirror's storage only, never asked upstream.
  return Promise.all(image.blobs.map(async (blob) => (await client.head(`/v2/${image.repository}/blobs/${blob.digest}`)).status === 200));
}

describe('mirror mode: the blobs of a cold pull fetched ahead @e2e', function () {
  this.timeout(60_000);
  let upstream: ReferenceRegistry;
  let proxy: HttpFaultProxy;

  before(async () => {
    upstream = await startReferenceRegistry();
    proxy = await startHttpFaultProxy(upstream.url);
  });
  afterEach(() => proxy.setMode({ kind: 'pass' }));
  after(cleanupTestbed);

  async function startMirror(prefetch?: number): Promise<{ mirror: RegistryProcess; vars: () => Promise<Record<string, number>> }> {
    const debugPort = await freePort();
    const mirror = await startRegistryProcess({
      // One worker: the prefetcher lives in the worker that served the manifest, and these tests count its queue
      // against one client connection (across workers the one download per blob is workers.test.ts's).
      config: { proxy: { remoteurl: proxy.url, ...(prefetch === undefined ? {} : { prefetch }) }, http: { workers: 1, debug: { addr: `127.0.0.1:${debugPort}` } } },
    });
    const vars = async (): Promise<Record<string, number>> => ((await (await fetch(`http://127.0.0.1:${debugPort}/debug/vars`)).json()) as { mirror: Record<string, number> }).mirror;
    return { mirror, vars };
  }

  it('downloads the config and every layer on the manifest GET, before the client asks; each blob comes from upstream once', async () => {
    // All six at once (prefetch 8): none waits in the queue, which is dropped when the client's connection closes
    // (the last test here), and the HTTP client may close that idle connection at any moment.
    const { mirror, vars } = await startMirror(8);
    const image = await pushImage(upstream.url, 'team/ahead', 'v1', [1 << 20, 512 << 10, 256 << 10, 64 << 10, 4 << 10]);
    const before = (await upstream.accessLog()).length;

    const manifest = await new RegistryApiClient(mirror.url).fetchManifest(image.repository, image.tag);
    expect(manifest.status).to.equal(200);
    await waitUntil(async () => (await storedInMirror(mirror, image)).every(Boolean), 10_000, 'every blob stored without a blob GET by the client');
    expect(blobGets((await upstream.accessLog()).slice(before), image)).to.deep.equal(image.blobs.map(() => 1));
    expect((await vars()).prefetched).to.equal(image.blobs.length);

    await pullImage(mirror.url, image);
    expect(blobGets((await upstream.accessLog()).slice(before), image), 'the pull is served from what was fetched ahead').to.deep.equal(image.blobs.map(() => 1));
  });

  it('joins the client: blobs it asks for while they are being fetched ahead are not fetched twice', async () => {
    const { mirror } = await startMirror();
    const image = await pushImage(upstream.url, 'team/joined', 'v1', [2 << 20, 2 << 20, 1 << 20]);
    const before = (await upstream.accessLog()).length;
    // Slow enough that the client's GETs arrive while the prefetches are under way.
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 8 << 20 });
    await pullImage(mirror.url, image);
    expect(blobGets((await upstream.accessLog()).slice(before), image)).to.deep.equal(image.blobs.map(() => 1));
  });

  it('downloads nothing for a HEAD of the manifest (a tag check), nor with proxy.prefetch: 0', async () => {
    const { mirror } = await startMirror();
    const checked = await pushImage(upstream.url, 'team/checked', 'v1', [64 << 10, 4 << 10]);
    const off = await startMirror(0);
    const unprefetched = await pushImage(upstream.url, 'team/off', 'v1', [64 << 10, 4 << 10]);
    const before = (await upstream.accessLog()).length;

    expect((await new RegistryApiClient(mirror.url).fetchManifest(checked.repository, checked.tag, 'HEAD')).status).to.equal(200);
    expect((await new RegistryApiClient(off.mirror.url).fetchManifest(unprefetched.repository, unprefetched.tag)).status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const log = (await upstream.accessLog()).slice(before);
    expect(blobGets(log, checked)).to.deep.equal(checked.blobs.map(() => 0));
    expect(blobGets(log, unprefetched)).to.deep.equal(unprefetched.blobs.map(() => 0));
    expect((await off.vars()).prefetched).to.equal(0);
  });

  it('drops what is still queued when the client goes away; the download under way is cached; no spool file is left', async () => {
    const { mirror } = await startMirror(1);
    const image = await pushImage(upstream.url, 'team/gone', 'v1', [256 << 10, 256 << 10, 256 << 10, 256 << 10]);
    const before = (await upstream.accessLog()).length;
    // One download at a time, each taking about half a second: the client is gone long before the queue is.
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 512 << 10 });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${mirror.url}/v2/${image.repository}/manifests/${image.tag}`, { agent: false, headers: { accept: image.manifest.mediaType } }, (res) => {
        res.resume();
        res.on('end', () => {
          res.socket.destroy();
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });

    const spool = join(mirror.rootDirectory, 'mirror-spool');
    const spoolFiles = async (): Promise<string[]> => readdir(spool).catch(() => []);
    // Settled: nothing more asked upstream for a second, and no download in the spool.
    let seen = -1;
    await waitUntil(
      async () => {
        const count = (await upstream.accessLog()).length;
        const settled = count === seen && (await spoolFiles()).length === 0;
        seen = count;
        if (!settled) await new Promise((resolve) => setTimeout(resolve, 1_000));
        return settled;
      },
      30_000,
      'the mirror settles',
    );
    const gets = blobGets((await upstream.accessLog()).slice(before), image);
    const fetched = gets.filter((n) => n === 1).length;
    expect(gets.every((n) => n <= 1), JSON.stringify(gets)).to.equal(true);
    expect(fetched, `fetched ahead before the queue was dropped: ${JSON.stringify(gets)}`).to.be.within(1, image.blobs.length - 2);
    expect(await storedInMirror(mirror, image), 'what was fetched is cached, the rest is not').to.deep.equal(gets.map((n) => n === 1));

    // A later pull fetches the rest, once each.
    proxy.setMode({ kind: 'pass' });
    await pullImage(mirror.url, image);
    expect(blobGets((await upstream.accessLog()).slice(before), image)).to.deep.equal(image.blobs.map(() => 1));
  });
});
