// Cache eviction on a real filesystem store: least recently pulled mirrored revisions go first, idle ones go
// after the idle age, a blob goes only when nothing left references it, and pushed content is never touched.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createLogger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { CacheEviction, type EvictionLimits } from '../../src/mirror/cache-eviction.js';
import { PullLedger } from '../../src/mirror/pull-ledger.js';
import { RepositoryOrigins } from '../../src/mirror/repository-origins.js';
import { parseDigest, type Digest } from '../../src/oci/digest.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { blobDescriptor, contentOf, imageConfig, imageManifest, MediaType, type Content } from '../api/oci-content.js';

const HOUR = 3_600_000;

interface Store {
  services: RegistryServices;
  origins: RepositoryOrigins;
  ledger: PullLedger;
  clock: { now: number };
}

async function freshStore(): Promise<Store> {
  const root = (await tempDir('eviction')).path;
  const driver = new FilesystemDriver({ rootDirectory: root });
  const services = new RegistryServices(driver, { deleteEnabled: true, readOnly: false, catalogMaxEntries: 1000 });
  const clock = { now: Date.parse('2026-11-22T00:00:00Z') };
  return { services, origins: new RepositoryOrigins(driver), ledger: new PullLedger(driver, () => clock.now, 0), clock };
}

/** An image (config + layers) stored the way the mirror stores one; `mirrored` marks the repository as a cache. */
async function storeImage(store: Store, name: string, tag: string, layers: Content[], mirrored: boolean): Promise<Digest> {
  const { services, origins } = store;
  if (mirrored) await origins.markMirrored(name, 'upstream');
  const config = imageConfig();
  for (const blob of [config, ...layers]) await services.uploads.uploadWhole(name, parseDigest(blob.digest), Readable.from([blob.bytes]));
  const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: layers.map((l) => blobDescriptor(l)) });
  const result = await services.manifests.put(name, { kind: 'tag', tag }, manifest.bytes, manifest.mediaType, { checkReferences: !mirrored });
  if (!mirrored) await origins.markPushed(name);
  // The mirror records the pull that cached it.
  else await store.ledger.touch(name, result.digest);
  return result.digest;
}

function eviction(store: Store, limits: EvictionLimits): CacheEviction {
  return new CacheEviction({
    driver: store.services.driver,
    services: store.services,
    origins: store.origins,
    ledger: store.ledger,
    limits,
    log: createLogger({ level: 'silent' }),
    now: () => store.clock.now,
  });
}

const exists = async (store: Store, digest: string): Promise<boolean> => (await store.services.blobs.statGlobal(parseDigest(digest))) !== null;
const tags = (store: Store, name: string): Promise<string[]> => store.services.tags.list(name).catch(() => []);

describe('mirror cache eviction', function () {
  after(cleanupTestbed);

  it('evicts the least recently pulled images until the cache fits its size cap', async () => {
    const store = await freshStore();
    const layers = [0, 1, 2].map(() => contentOf(randomBytes(100_000)));
    const digests: Digest[] = [];
    for (const [i, layer] of layers.entries()) {
      digests.push(await storeImage(store, `mirror/app${i}`, 'latest', [layer], true));
      store.clock.now += HOUR;
    }
    // app0 pulled last, so app1 is now the least recently pulled.
    await store.ledger.touch('mirror/app0', digests[0]!);

    const report = await eviction(store, { maxBytes: 250_000 }).run();

    expect(report.revisionsRemoved).to.equal(1);
    expect(await tags(store, 'mirror/app1')).to.deep.equal([]);
    expect(await exists(store, layers[1]!.digest)).to.equal(false);
    expect(await exists(store, layers[0]!.digest)).to.equal(true);
    expect(await exists(store, layers[2]!.digest)).to.equal(true);
    expect(report.cachedBytes).to.be.at.most(250_000);
  });

  it('evicts images idle for longer than the idle age, and keeps the rest', async () => {
    const store = await freshStore();
    const old = contentOf(randomBytes(1000));
    const recent = contentOf(randomBytes(1000));
    await storeImage(store, 'mirror/old', 'v1', [old], true);
    store.clock.now += 48 * HOUR;
    await storeImage(store, 'mirror/recent', 'v1', [recent], true);

    const report = await eviction(store, { maxIdleMs: 24 * HOUR }).run();

    expect(report.revisionsRemoved).to.equal(1);
    expect(await tags(store, 'mirror/old')).to.deep.equal([]);
    expect(await tags(store, 'mirror/recent')).to.deep.equal(['v1']);
    expect(await exists(store, old.digest)).to.equal(false);
  });

  it('never deletes a blob a pushed image or another cached image still references', async () => {
    const store = await freshStore();
    const shared = contentOf(randomBytes(50_000));
    const onlyEvicted = contentOf(randomBytes(50_000));
    await storeImage(store, 'mirror/a', 'v1', [shared, onlyEvicted], true);
    store.clock.now += HOUR;
    await storeImage(store, 'mirror/b', 'v1', [shared], true);
    await storeImage(store, 'team/pushed', 'v1', [contentOf(randomBytes(10))], false);
    store.clock.now += 48 * HOUR;
    await store.ledger.touch('mirror/b', (await store.services.tags.resolve('mirror/b', 'v1')));

    await eviction(store, { maxIdleMs: 24 * HOUR }).run();

    expect(await tags(store, 'mirror/a')).to.deep.equal([]);
    expect(await exists(store, shared.digest), 'shared with mirror/b').to.equal(true);
    expect(await exists(store, onlyEvicted.digest)).to.equal(false);
    expect(await tags(store, 'team/pushed')).to.deep.equal(['v1']);
  });

  it('leaves pushed repositories alone whatever the limits', async () => {
    const store = await freshStore();
    const layer = contentOf(randomBytes(200_000));
    await storeImage(store, 'team/app', 'v1', [layer], false);
    store.clock.now += 1000 * HOUR;

    const report = await eviction(store, { maxBytes: 1, maxIdleMs: 1 }).run();

    expect(report.revisionsRemoved).to.equal(0);
    expect(await tags(store, 'team/app')).to.deep.equal(['v1']);
    expect(await exists(store, layer.digest)).to.equal(true);
  });

  it('keeps a blob a pushed repository links even before a manifest names it (a push under way)', async () => {
    const store = await freshStore();
    const layer = contentOf(randomBytes(1000));
    await storeImage(store, 'mirror/x', 'v1', [layer], true);
    await store.services.blobs.link('team/pushing', parseDigest(layer.digest));
    await store.origins.markPushed('team/pushing');
    store.clock.now += 48 * HOUR;

    await eviction(store, { maxIdleMs: HOUR }).run();

    expect(await tags(store, 'mirror/x')).to.deep.equal([]);
    expect(await exists(store, layer.digest)).to.equal(true);
  });
});
