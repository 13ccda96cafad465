// The mirror's one download per blob across replicas sharing one store (proxy.etcd): two registry processes
// on one filesystem root, or on one S3 bucket (s3rver), each with two workers, claim downloads in a real etcd.
// The upstream is the reference registry (distribution 2.8.2) behind a proxy that slows it, so every request
// below arrives while the download runs; its access log counts what the replicas asked it.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { expect } from 'chai';
import {
  cleanupTestbed,
  freePort,
  startEtcd,
  startHttpFaultProxy,
  startReferenceRegistry,
  startRegistryProcess,
  startS3rver,
  type Etcd,
  type HttpFaultProxy,
  type JsonObject,
  type ReferenceRegistry,
  type RegistryProcess,
  waitUntil,
} from '@private-registry/testbed';
import { pushImage } from './mirror-images.js';
import { s3ConfigText } from './s3-registry.js';

interface Reply {
  status: number;
  body: Buffer;
}

/** A GET on a connection of its own (so consecutive requests reach different workers). */
function get(url: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
      // A server that dies mid-body: the response never ends.
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the body ended'));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function mirrorVars(debugPort: number): Promise<Record<string, number>> {
  return ((await (await fetch(`http://127.0.0.1:${debugPort}/debug/vars`)).json()) as { mirror: Record<string, number> }).mirror;
}

describe('mirror: one download per blob across replicas, claimed in etcd @e2e', function () {
  this.timeout(180_000);
  let etcd: Etcd;
  let upstream: ReferenceRegistry;
  let proxy: HttpFaultProxy;

  before(async () => {
    [etcd, upstream] = await Promise.all([startEtcd(), startReferenceRegistry()]);
    proxy = await startHttpFaultProxy(upstream.url);
  });
  after(cleanupTestbed);

  /** Two replicas on one store, two workers each, with their debug ports. */
  async function startReplicas(storage: { rootDirectory?: string; storageDriver?: JsonObject }, prefix: string, workers = 2): Promise<Array<{ registry: RegistryProcess; debugPort: number }>> {
    const replicas = [];
    let rootDirectory = storage.rootDirectory;
    for (let i = 0; i < 2; i++) {
      const debugPort = await freePort();
      const registry = await startRegistryProcess({
        ...(rootDirectory === undefined ? {} : { rootDirectory }),
        ...(storage.storageDriver === undefined ? {} : { storageDriver: storage.storageDriver }),
        config: {
          http: { workers, debug: { addr: `127.0.0.1:${debugPort}` } },
          proxy: { remoteurl: proxy.url, prefetch: 0, etcd: { endpoints: [etcd.endpoint], prefix } },
          // Blobs from the store come as bytes, not as a redirect to s3rver.
          storage: { redirect: { disable: true } },
        },
      });
      if (workers > 1) await registry.process.waitForLog(`${workers} workers serving`);
      rootDirectory ??= registry.rootDirectory;
      replicas.push({ registry, debugPort });
    }
    return replicas;
  }

  async function upstreamBlobGets(since: number, repository: string, digest: string): Promise<number> {
    return (await upstream.accessLog()).slice(since).filter((e) => e.method === 'GET' && e.path === `/v2/${repository}/blobs/${digest}`).length;
  }

  const stores: Array<[string, () => Promise<{ rootDirectory?: string; storageDriver?: JsonObject }>]> = [
    ['one filesystem root', async () => ({})],
    [
      'one S3 bucket',
      async () => {
        const s3 = await startS3rver({ silent: true });
        const bucket = await s3.createBucket();
        const s3Section = (JSON.parse(s3ConfigText(s3, { bucket, rootdirectory: '/mirror-replicas' })) as { storage: { s3: JsonObject } }).storage.s3;
        return { storageDriver: { s3: s3Section } };
      },
    ],
  ];

  for (const [where, store] of stores) {
    it(`downloads a blob once for cold GETs reaching both replicas (${where}, two workers each)`, async () => {
      const repository = `team/replicas-${where.split(' ').pop()!.toLowerCase()}`;
      const replicas = await startReplicas(await store(), `/test-${repository.replace('/', '-')}/`);
      const image = await pushImage(upstream.url, repository, 'v1', [4 << 20]);
      const layer = image.blobs[1]!;
      proxy.setMode({ kind: 'throttle', bytesPerSecond: 4 << 20 });
      const before = (await upstream.accessLog()).length;
      // Three GETs to each replica at once: each reaches both of its workers.
      const gets = await Promise.all(replicas.flatMap(({ registry }) => [1, 2, 3].map(() => get(`${registry.url}/v2/${repository}/blobs/${layer.digest}`))));
      proxy.setMode({ kind: 'pass' });
      for (const got of gets) {
        expect(got.status).to.equal(200);
        expect(sha256(got.body)).to.equal(layer.digest);
      }
      expect(await upstreamBlobGets(before, repository, layer.digest), 'one upstream download for six clients on two replicas').to.equal(1);
      const vars = await Promise.all(replicas.map(({ debugPort }) => mirrorVars(debugPort)));
      expect(vars.map((v) => v.misses).sort(), 'one replica downloaded, the other did not').to.deep.equal([0, 1]);
      const waiting = vars.find((v) => v.misses === 0)!;
      // On the replica that waited: the request that led its workers' flight waited for the other replica, the rest joined it.
      expect(waiting.replicaWaits).to.equal(1);
      expect((waiting.replicaWaits ?? 0) + (waiting.coalesced ?? 0)).to.equal(3);
      // The claim is gone with its lease once the blob is stored.
      const keys = await etcd.etcdctl(['get', '--prefix', '--keys-only', `/test-${repository.replace('/', '-')}/`]);
      expect(keys.stdout.trim()).to.equal('');
      // And no lease is left behind: the waiting replica's went when it found the key taken (revokes are not awaited).
      await waitUntil(async () => (await etcd.etcdctl(['lease', 'list'])).stdout.includes('found 0 leases'), 5_000, 'no lease left in etcd');
      // Both serve it from the store now, without asking upstream.
      for (const { registry } of replicas) expect(sha256((await get(`${registry.url}/v2/${repository}/blobs/${layer.digest}`)).body)).to.equal(layer.digest);
      expect(await upstreamBlobGets(before, repository, layer.digest)).to.equal(1);
      await Promise.all(replicas.map(({ registry }) => registry.stop()));
    });
  }

  it('a replica that dies while downloading loses its claim when its lease expires, and the waiting replica downloads', async () => {
    const repository = 'team/replicas-crash';
    const [a, b] = await startReplicas({}, '/test-crash/', 1);
    const image = await pushImage(upstream.url, repository, 'v1', [4 << 20]);
    const layer = image.blobs[1]!;
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 256 << 10 });
    const before = (await upstream.accessLog()).length;
    const fromA = get(`${a!.registry.url}/v2/${repository}/blobs/${layer.digest}`).catch((err: Error) => err);
    // A has claimed it once its key is in etcd.
    await waitUntil(async () => (await etcd.etcdctl(['get', '--prefix', '--keys-only', '/test-crash/'])).stdout.trim() !== '', 10_000, "A's claim in etcd");
    const fromB = get(`${b!.registry.url}/v2/${repository}/blobs/${layer.digest}`);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await a!.registry.kill();
    proxy.setMode({ kind: 'pass' });
    const got = await fromB;
    const tookMs = Date.now() - killedAt;
    expect(got.status).to.equal(200);
    expect(sha256(got.body)).to.equal(layer.digest);
    expect(await fromA).to.be.instanceOf(Error);
    // A's claim lived until its lease (10 s) expired; then B downloaded it.
    expect(tookMs, 'B waited for the lease to expire').to.be.within(5_000, 30_000);
    // B's download (A's, cut off by its death, may or may not be in the reference's access log).
    expect((await mirrorVars(b!.debugPort)).misses).to.equal(1);
    expect(await upstreamBlobGets(before, repository, layer.digest)).to.be.within(1, 2);
    await b!.registry.stop();
  });

  it('pulls still work when etcd does not answer: the replica downloads for itself and says so', async () => {
    const repository = 'team/replicas-no-etcd';
    const debugPort = await freePort();
    const deadEtcd = `http://127.0.0.1:${await freePort()}`;
    const registry = await startRegistryProcess({
      config: { http: { workers: 1, debug: { addr: `127.0.0.1:${debugPort}` } }, proxy: { remoteurl: proxy.url, prefetch: 0, etcd: { endpoints: [deadEtcd] } } },
    });
    const image = await pushImage(upstream.url, repository, 'v1', [1 << 20, 1 << 20]);
    for (const blob of image.blobs.slice(1)) {
      const got = await get(`${registry.url}/v2/${repository}/blobs/${blob.digest}`);
      expect(got.status).to.equal(200);
      expect(sha256(got.body)).to.equal(blob.digest);
    }
    const warnings = (await registry.process.readLog()).split('\n').filter((line) => line.includes('etcd did not answer'));
    // One warning: the second blob did not wait for etcd again.
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include(deadEtcd);
    expect((await mirrorVars(debugPort)).misses).to.equal(2);
    await registry.stop();
  });
});
