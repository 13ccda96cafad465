import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { SweepIntent, sweptTagKey } from '../../src/gc/sweep-intent.js';
import { GcLock, GcLockBusyError } from '../../src/gc/gc-lock.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { parseDigest } from '../../src/oci/digest.js';
import { blobDescriptor, imageIndex, imageManifest, MediaType, randomBlob, imageConfig, LINUX_AMD64 } from '../api/oci-content.js';
import { useGcFixture, policy } from './gc-fixture.js';

describe('garbage collector', function () {
  this.timeout(20_000);
  const fixture = useGcFixture();

  it('deletes blobs no manifest references and keeps every blob of a tagged image', async () => {
    const { client, collect, blobStored } = fixture();
    const image = await client.pushImage('app', 'v1');
    const orphan = await client.pushBlob('app', randomBlob(4096));
    const { summary, decisions } = await collect();
    expect(summary.blobsDeleted).to.equal(1);
    expect(summary.bytesFreed).to.equal(4096);
    expect(decisions).to.deep.equal([{ kind: 'blob', digest: orphan.digest, size: 4096, rule: 'referenced by no kept manifest' }]);
    expect(await blobStored(orphan.digest)).to.equal(false);
    expect(await client.blobExists('app', orphan.digest)).to.equal(false);
    for (const blob of [image.config, ...image.layers]) expect(await client.blobExists('app', blob.digest), blob.digest).to.equal(true);
    expect((await client.get('/v2/app/manifests/v1')).status).to.equal(200);
  });

  it('keeps the layers of a tagged schema 1 manifest from older registry:2 data, which it cannot otherwise parse', async () => {
    const { client, collect, blobStored, driver } = fixture();
    const layer = await client.pushBlob('old', randomBlob(300));
    const orphan = await client.pushBlob('old', randomBlob(200));
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old', tag: 'v1', fsLayers: [{ blobSum: layer.digest }], history: [{ v1Compatibility: '{}' }] }));
    const digest = parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    await driver.putContent(pathFor({ kind: 'blobData', digest }), bytes);
    await driver.putContent(pathFor({ kind: 'manifestRevisionLink', name: 'old', digest }), Buffer.from(digest.value));
    await driver.putContent(pathFor({ kind: 'tagCurrentLink', name: 'old', tag: 'v1' }), Buffer.from(digest.value));
    const { decisions } = await collect();
    expect(decisions.map((d) => `${d.kind} ${d.digest}`)).to.deep.equal([`blob ${orphan.digest}`]);
    expect(await blobStored(layer.digest)).to.equal(true);
    expect(await blobStored(digest.value)).to.equal(true);
  });

  it('keeps untagged manifests unless asked, then deletes them and their unique layers only', async () => {
    const { client, collect, blobStored } = fixture();
    const shared = randomBlob(512);
    await client.pushBlob('app', shared);
    const first = await client.pushImage('app', 'latest', { layers: [blobDescriptor(shared)] });
    const second = await client.pushImage('app', 'latest', { layers: [blobDescriptor(shared)] });
    let run = await collect();
    expect(run.summary.manifestsDeleted).to.equal(0);
    expect((await client.get(`/v2/app/manifests/${first.manifest.digest}`)).status).to.equal(200);
    run = await collect({ deleteUntagged: true });
    expect(run.summary.manifestsDeleted).to.equal(1);
    expect(run.decisions.filter((d) => d.kind === 'manifest').map((d) => d.digest)).to.deep.equal([first.manifest.digest]);
    expect((await client.get(`/v2/app/manifests/${first.manifest.digest}`)).status).to.equal(404);
    expect(await blobStored(first.config.digest)).to.equal(false);
    expect(await blobStored(first.manifest.digest)).to.equal(false);
    expect(await blobStored(shared.digest)).to.equal(true);
    expect((await client.get('/v2/app/manifests/latest')).header('docker-content-digest')).to.equal(second.manifest.digest);
    for (const blob of [second.config, shared]) expect(await client.blobExists('app', blob.digest)).to.equal(true);
  });

  it('keeps the children of a tagged index and the referrers of kept manifests, deletes referrers of deleted ones', async () => {
    const { client, collect } = fixture();
    const child = await client.pushImage('multi');
    const index = imageIndex({ manifests: [{ ...blobDescriptor(child.manifest, MediaType.OciManifest), platform: LINUX_AMD64 }] });
    await client.pushManifest('multi', 'v1', index);
    const signature = await client.pushArtifact('multi', blobDescriptor(index, MediaType.OciIndex), { artifactType: 'application/vnd.example.sig' });
    const doomed = await client.pushImage('multi');
    const doomedSbom = await client.pushArtifact('multi', blobDescriptor(doomed.manifest, MediaType.OciManifest), { artifactType: 'application/vnd.example.sbom' });
    const { summary } = await collect({ deleteUntagged: true });
    expect(summary.manifestsDeleted).to.equal(2);
    for (const kept of [child.manifest.digest, index.digest, signature.digest]) expect((await client.head(`/v2/multi/manifests/${kept}`)).status, kept).to.equal(200);
    for (const gone of [doomed.manifest.digest, doomedSbom.digest]) expect((await client.head(`/v2/multi/manifests/${gone}`)).status, gone).to.equal(404);
    const referrers = (await client.get(`/v2/multi/referrers/${index.digest}`)).json<{ manifests: { digest: string }[] }>();
    expect(referrers.manifests.map((m) => m.digest)).to.deep.equal([signature.digest]);
    expect((await client.get(`/v2/multi/referrers/${doomed.manifest.digest}`)).json<{ manifests: unknown[] }>().manifests).to.deep.equal([]);
  });

  it('deletes nothing younger than the grace period', async () => {
    const { client, collect } = fixture();
    await client.pushImage('app', 'v1');
    await client.pushImage('app', 'v1');
    await client.pushBlob('app', randomBlob());
    const { summary } = await collect({ deleteUntagged: true, gracePeriodMs: 60_000, aheadMs: 0 });
    expect(summary).to.include({ blobsDeleted: 0, manifestsDeleted: 0, tagsDeleted: 0 });
    expect(summary.blobsKept).to.equal(summary.blobsScanned);
  });

  it('a dry run lists what would go and deletes nothing', async () => {
    const { client, collect, blobStored } = fixture();
    await client.pushImage('app', 'v1');
    const orphan = await client.pushBlob('app', randomBlob(100));
    const { summary, decisions } = await collect({ dryRun: true });
    expect(summary).to.include({ dryRun: true, blobsDeleted: 1, bytesFreed: 100 });
    expect(decisions.map((d) => d.kind === 'blob' && d.digest)).to.deep.equal([orphan.digest]);
    expect(await blobStored(orphan.digest)).to.equal(true);
  });

  it('applies retention: the N newest tags per repository, patterns kept, other repositories untouched', async () => {
    const { client, collect, setPushTime } = fixture();
    const day = 86_400_000;
    const images: Record<string, string> = {};
    for (const [i, tag] of ['t1', 't2', 't3', 'v1.0', 't4'].entries()) {
      images[tag] = (await client.pushImage('cache/app', tag)).manifest.digest;
      await setPushTime('cache/app', tag, new Date(Date.now() - (10 - i) * day));
    }
    await client.pushImage('ci/app', 'old');
    await setPushTime('ci/app', 'old', new Date(Date.now() - 400 * day));
    const retention = [policy(['cache/**'], { keepLatest: 2, keepTags: ['v*'] }), policy(['ci/**'])];
    const { summary, decisions } = await collect({ retention });
    const tagDecisions = decisions.filter((d) => d.kind === 'tag');
    expect(tagDecisions.map((d) => d.kind === 'tag' && d.tag).sort()).to.deep.equal(['t1', 't2']);
    expect(tagDecisions.map((d) => d.kind === 'tag' && `${d.tag}: ${d.rule}`)).to.deep.equal(['t2: keeplatest: 2 (this tag is number 3 by push time)', 't1: keeplatest: 2 (this tag is number 4 by push time)']);
    expect(summary.tagsDeleted).to.equal(2);
    expect(summary.manifestsDeleted).to.equal(2);
    expect((await client.tagsOf('cache/app')).sort()).to.deep.equal(['t3', 't4', 'v1.0']);
    expect((await client.head(`/v2/cache/app/manifests/${images.t1}`)).status).to.equal(404);
    expect(await client.tagsOf('ci/app')).to.deep.equal(['old']);
  });

  it('applies deleteolderthan unless a tag was pulled recently', async () => {
    const { client, collect, setPushTime, driver } = fixture();
    const day = 86_400_000;
    const pulled = await client.pushImage('cache/web', 'pulled');
    await client.pushImage('cache/web', 'stale');
    await client.pushImage('cache/web', 'fresh');
    await setPushTime('cache/web', 'pulled', new Date(Date.now() - 20 * day));
    await setPushTime('cache/web', 'stale', new Date(Date.now() - 20 * day));
    await driver.putContent(pathFor({ kind: 'pullRecord', name: 'cache/web', digest: parseDigest(pulled.manifest.digest) }), Buffer.from(new Date(Date.now() - day).toISOString()));
    const retention = [policy(['cache/**'], { deleteOlderThanMs: 14 * day, keepPulledWithinMs: 7 * day })];
    const { decisions } = await collect({ retention, dryRun: true });
    expect(decisions.filter((d) => d.kind === 'tag').map((d) => d.kind === 'tag' && `${d.tag}: ${d.rule}`)).to.deep.equal(['stale: deleteolderthan: 14d (pushed 20d ago)']);
  });

  it('a manifest PUT that needs a blob a sweep is deleting waits for it, then fails cleanly if it went', async () => {
    const { client, driver } = fixture();
    const config = imageConfig();
    const layer = randomBlob();
    await client.pushBlob('app', config, MediaType.OciConfig);
    await client.pushBlob('app', layer);
    const intent = new SweepIntent(driver, [layer.digest]);
    await intent.write(Date.now() + 60_000);
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
    const started = Date.now();
    const put = client.putManifest('app', 'v1', manifest);
    // A mount of a doomed blob becomes an upload session at once.
    expect((await client.mount('other', layer.digest, 'app')).status).to.equal(202);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await driver.delete(pathFor({ kind: 'blobDir', digest: parseDigest(layer.digest) }));
    await intent.clear();
    const refused = await put;
    expect(Date.now() - started).to.be.at.least(600);
    expect(refused.status).to.equal(400);
    expect(refused.json<{ errors: { code: string; detail: { digests: string[] } }[] }>().errors[0]).to.deep.include({ code: 'MANIFEST_BLOB_UNKNOWN', detail: { digests: [layer.digest] } });
    expect((await client.head(`/v2/app/manifests/${manifest.digest}`)).status).to.equal(404);
    expect(await client.tagsOf('app')).to.deep.equal([]);
  });

  it('a manifest PUT that waited for a sweep which spared its blobs succeeds', async () => {
    const { client, driver } = fixture();
    const config = imageConfig();
    const layer = randomBlob();
    await client.pushBlob('app', config, MediaType.OciConfig);
    await client.pushBlob('app', layer);
    const intent = new SweepIntent(driver, [layer.digest, config.digest]);
    await intent.write(Date.now() + 60_000);
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
    const put = client.putManifest('app', 'v1', manifest);
    await new Promise((resolve) => setTimeout(resolve, 300));
    intent.done(layer.digest);
    await intent.refresh(Date.now() + 60_000, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    intent.done(config.digest);
    await intent.refresh(Date.now() + 60_000, 0);
    expect((await put).status).to.equal(201);
    expect((await client.mount('other', layer.digest, 'app')).status).to.equal(201);
    await intent.clear();
  });

  it('a tag pushed while retention deletes it is written again once the sweep is done with it', async () => {
    const { client, driver } = fixture();
    const first = await client.pushImage('app', 'v1');
    const intent = new SweepIntent(driver, [sweptTagKey('app', 'v1')]);
    await intent.write(Date.now() + 60_000);
    const second = await client.pushImage('app', 'other');
    const put = client.putManifest('app', 'v1', second.manifest);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The sweep deletes the tag it had decided on (the push's write of it comes in between), then lets go.
    await driver.delete(pathFor({ kind: 'tag', name: 'app', tag: 'v1' }));
    intent.done(sweptTagKey('app', 'v1'));
    await intent.refresh(Date.now() + 60_000, 0);
    expect((await put).status).to.equal(201);
    const now = await client.get('/v2/app/manifests/v1', { Accept: MediaType.OciManifest });
    expect(now.header('docker-content-digest')).to.equal(second.manifest.digest);
    expect(first.manifest.digest).not.to.equal(second.manifest.digest);
    await intent.clear();
  });

  it('an expired sweep intent blocks nothing', async () => {
    const { client, driver } = fixture();
    const layer = randomBlob();
    const config = imageConfig();
    await client.pushBlob('app', config, MediaType.OciConfig);
    await client.pushBlob('app', layer);
    await new SweepIntent(driver, [layer.digest]).write(Date.now() - 1);
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
    expect((await client.putManifest('app', 'v1', manifest)).status).to.equal(201);
  });

  it('one sweep at a time: a held lock refuses a second collector, an expired one is taken over', async () => {
    const { collect, registry } = fixture();
    const driver = new FilesystemDriver({ rootDirectory: registry.rootDirectory });
    const holder = new GcLock(driver, { expiryMs: 60_000, settleMs: 10 });
    await holder.acquire();
    let refused: unknown;
    try {
      await collect();
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(GcLockBusyError);
    await holder.release();
    await collect();
    const dead = new GcLock(driver, { expiryMs: 1000, settleMs: 10 });
    await dead.acquire();
    // The holder "dies": its renewal stops, the lock stays in the store until it expires.
    (dead as unknown as { renewal?: NodeJS.Timeout }).renewal?.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const { summary } = await collect({ aheadMs: 0 });
    expect(summary.dryRun).to.equal(false);
  });
});
