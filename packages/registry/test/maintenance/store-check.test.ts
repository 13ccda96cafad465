// fsck on a real store (in-process registry on a temp directory), corrupted on purpose in several ways.
import { expect } from 'chai';
import { readdir, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { checkStore } from '../../src/maintenance/store-check.js';
import { repairStore } from '../../src/maintenance/store-repair.js';
import { summarize } from '../../src/maintenance/fsck-findings.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { parseDigest } from '../../src/oci/digest.js';
import { blobDescriptor, imageIndex, LINUX_AMD64, MediaType, randomBlob } from '../api/oci-content.js';
import { useGcFixture } from '../gc/gc-fixture.js';

describe('fsck: store checks and repairs', function () {
  this.timeout(20_000);
  const fixture = useGcFixture();
  const file = (path: string) => join(fixture().registry.rootDirectory, path);
  const blobFile = (digest: string) => file(pathFor({ kind: 'blobData', digest: parseDigest(digest) }));
  /** Everything in the store an hour old: a repair leaves alone links written while it checks (a push under way). */
  const age = async (dir = fixture().registry.rootDirectory): Promise<void> => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await age(path);
      else if (!entry.isSymbolicLink()) await utimes(path, hourAgo, hourAgo);
    }
  };

  it('finds nothing wrong in a store the registry wrote', async () => {
    const { client, driver } = fixture();
    const image = await client.pushImage('app', 'v1');
    await client.pushArtifact('app', blobDescriptor(image.manifest, MediaType.OciManifest), { artifactType: 'application/vnd.example.sig' });
    const check = await checkStore(driver);
    expect(check.findings).to.deep.equal([]);
    expect(check.counts).to.include({ manifests: 2, tags: 1 });
    expect(check.counts.bytesVerified).to.be.greaterThan(1024);
  });

  it('finds each kind of damage, repairs what it can without deleting data, and is clean after', async () => {
    const { client, driver } = fixture();
    const kept = await client.pushImage('app', 'v1');
    const signature = await client.pushArtifact('app', blobDescriptor(kept.manifest, MediaType.OciManifest), { artifactType: 'application/vnd.example.sig' });
    const orphan = await client.pushBlob('app', randomBlob(2000));
    const gone = await client.pushBlob('app', randomBlob(100));
    const untagged = await client.pushImage('app', 'doomed');
    // A truncated blob nothing references; a layer link holding garbage; a link to a blob that is gone; a tag
    // whose revision is gone; the referrers index lost (as in a store distribution wrote).
    await truncate(blobFile(orphan.digest), 10);
    const linkPath = file(pathFor({ kind: 'layerLink', name: 'app', digest: parseDigest(kept.layers[0]!.digest) }));
    await writeFile(linkPath, 'not a digest');
    await rm(join(blobFile(gone.digest), '..'), { recursive: true });
    await rm(file(pathFor({ kind: 'manifestRevision', name: 'app', digest: parseDigest(untagged.manifest.digest) })), { recursive: true });
    await rm(file(`docker/registry/v2/repositories/app/_referrers`), { recursive: true });
    await age();

    const check = await checkStore(driver);
    const brief = check.findings.map((f) => `${f.kind} ${f.object}`).sort();
    expect(brief).to.deep.equal(['corrupt blob', 'corrupt layer link', 'dangling layer link', 'dangling layer link', 'dangling tag', 'missing referrer link']);
    expect(check.findings.find((f) => f.object === 'blob')?.path).to.equal(pathFor({ kind: 'blobData', digest: parseDigest(orphan.digest) }));
    expect(check.findings.find((f) => f.object === 'tag')?.problem).to.match(/^app:doomed points at sha256:/);

    await repairStore(driver, check, '20261203T000000Z');
    expect(summarize(check.findings, check.counts, 0)).to.include({ corrupt: 2, dangling: 3, missing: 1, repaired: 6, remaining: 0 });
    // The corrupt blob is in the quarantine, byte for byte.
    const quarantined = await readFile(file(pathFor({ kind: 'quarantinedBlob', stamp: '20261203T000000Z', digest: parseDigest(orphan.digest) })));
    expect(quarantined.length).to.equal(10);
    expect((await checkStore(driver)).findings).to.deep.equal([]);
    expect(await client.tagsOf('app')).to.deep.equal(['v1']);
    expect(await client.blobExists('app', kept.layers[0]!.digest)).to.equal(true);
    const referrers = (await client.get(`/v2/app/referrers/${kept.manifest.digest}`)).json<{ manifests: { digest: string }[] }>();
    expect(referrers.manifests.map((m) => m.digest)).to.deep.equal([signature.digest]);
  });

  it('reports a layer whose bytes changed and the image that needs it; the image stays reported after repair', async () => {
    const { client, driver } = fixture();
    const image = await client.pushImage('app', 'v1');
    const layer = image.layers[0]!.digest;
    const bytes = await readFile(blobFile(layer));
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(blobFile(layer), bytes);
    await age();
    const check = await checkStore(driver);
    expect(check.findings.map((f) => `${f.kind} ${f.object}`).sort()).to.deep.equal(['corrupt blob', 'dangling layer link', 'missing blob']);
    expect(check.findings.find((f) => f.kind === 'missing')?.problem).to.equal(`app@${image.manifest.digest} references it; it is corrupt`);
    await repairStore(driver, check, '20261203T000001Z');
    expect(summarize(check.findings, check.counts, 0)).to.include({ repaired: 2, remaining: 1 });
    const after = await checkStore(driver);
    expect(after.findings.map((f) => `${f.kind} ${f.object} ${f.problem}`)).to.deep.equal([`missing blob app@${image.manifest.digest} references it; it is not in the store`]);
  });

  it('reports a manifest whose bytes are garbage, and the revision and tag that point at it', async () => {
    const { client, driver } = fixture();
    const image = await client.pushImage('app', 'v1');
    await writeFile(blobFile(image.manifest.digest), 'garbage');
    const check = await checkStore(driver);
    // The blob no longer matches its digest: corrupt, and the revision and tag point at it.
    expect(check.findings.map((f) => `${f.kind} ${f.object}`).sort()).to.deep.equal(['corrupt blob', 'dangling revision link', 'dangling tag']);
  });

  it('reports a revision whose blob is not a manifest, and an index whose child the repository lost', async () => {
    const { client, driver } = fixture();
    const notManifest = await client.pushBlob('app', randomBlob(64));
    await driver.putContent(pathFor({ kind: 'manifestRevisionLink', name: 'app', digest: parseDigest(notManifest.digest) }), Buffer.from(notManifest.digest));
    const child = await client.pushImage('multi');
    const index = imageIndex({ manifests: [{ ...blobDescriptor(child.manifest, MediaType.OciManifest), platform: LINUX_AMD64 }] });
    await client.pushManifest('multi', 'v1', index);
    await rm(file(pathFor({ kind: 'manifestRevision', name: 'multi', digest: parseDigest(child.manifest.digest) })), { recursive: true });
    const check = await checkStore(driver);
    expect(check.findings.map((f) => `${f.kind} ${f.object}: ${f.problem}`).sort()).to.deep.equal([
      `corrupt manifest: revision app@${notManifest.digest} is not a manifest this registry can parse; its references are not checked`,
      `missing manifest: index multi@${index.digest} names it; the repository does not hold it`,
    ]);
  });

  it('keeps the tags of intact revisions it cannot parse, and checks the layers of a schema 1 manifest', async () => {
    const { client, driver } = fixture();
    const layer = await client.pushBlob('old', randomBlob(80));
    const lost = await client.pushBlob('old', randomBlob(90));
    const schema1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'old', tag: 'v1', architecture: 'amd64', fsLayers: [{ blobSum: layer.digest }, { blobSum: lost.digest }], history: [{ v1Compatibility: '{}' }, { v1Compatibility: '{}' }] }));
    const opaque = Buffer.from('<not a manifest at all>');
    for (const [tag, bytes] of [['v1', schema1], ['v2', opaque]] as const) {
      const digest = parseDigest(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      // As registry:2 data holds them: the blob, its revision link, a tag.
      await driver.putContent(pathFor({ kind: 'blobData', digest }), bytes);
      await driver.putContent(pathFor({ kind: 'manifestRevisionLink', name: 'old', digest }), Buffer.from(digest.value));
      await driver.putContent(pathFor({ kind: 'tagCurrentLink', name: 'old', tag }), Buffer.from(digest.value));
      await driver.putContent(pathFor({ kind: 'tagIndexEntryLink', name: 'old', tag, digest }), Buffer.from(digest.value));
    }
    await rm(join(blobFile(lost.digest), '..'), { recursive: true });
    await age();
    const check = await checkStore(driver);
    const described = check.findings.map((f) => `${f.kind} ${f.object}`).sort();
    expect(described).to.deep.equal(['corrupt manifest', 'dangling layer link', 'missing blob']);
    expect(check.findings.find((f) => f.object === 'blob')?.problem).to.match(/^old@sha256:[0-9a-f]{64} references it; it is not in the store$/);
    await repairStore(driver, check, '20261203T000004Z');
    for (const tag of ['v1', 'v2']) expect((await driver.stat(pathFor({ kind: 'tagCurrentLink', name: 'old', tag }))).size, `tag ${tag} kept`).to.equal(71);
  });

  it('leaves alone a dangling link written while it checks: a push under way may be about to write its blob', async () => {
    const { client, driver } = fixture();
    const gone = await client.pushBlob('app', randomBlob(100));
    await rm(join(blobFile(gone.digest), '..'), { recursive: true });
    const check = await checkStore(driver);
    expect(check.findings.map((f) => `${f.kind} ${f.object}`)).to.deep.equal(['dangling layer link']);
    await repairStore(driver, check, '20261203T000002Z');
    expect(check.findings[0]?.repaired).to.equal(undefined);
    expect(await client.blobExists('app', gone.digest)).to.equal(false);
    await age();
    const later = await checkStore(driver);
    await repairStore(driver, later, '20261203T000003Z');
    expect(later.findings[0]?.repaired).to.equal('removed');
  });
});
