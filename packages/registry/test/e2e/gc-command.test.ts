// `private-registry gc` as an operator runs it, compared with the reference's offline `garbage-collect` on copies
// of the same store: both free the same blobs, and the reference still serves every tag of a store ours collected.
import { expect } from 'chai';
import { cp, writeFile, mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI_PATH,
  cleanupTestbed,
  runCommand,
  startReferenceRegistry,
  startRegistryProcess,
  tempDir,
  withoutRegistryEnv,
  type CommandResult,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { blobDescriptor, imageIndex, MediaType, randomBlob, sha256, LINUX_AMD64, LINUX_ARM64 } from '../api/oci-content.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { scanBlobs } from '../../src/gc/store-inventory.js';

async function storedBlobs(root: string): Promise<string[]> {
  return [...(await scanBlobs(new FilesystemDriver({ rootDirectory: root }))).keys()].sort();
}

async function configFor(root: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join((await tempDir('gc-config')).path, 'config.yml');
  await writeFile(path, JSON.stringify({ version: '0.1', log: { level: 'info' }, storage: { filesystem: { rootdirectory: root }, delete: { enabled: true } }, ...extra }));
  return path;
}

function ourGc(config: string, ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_PATH, 'gc', '--config', config, ...args], { timeoutMs: 60_000, env: withoutRegistryEnv() });
}

async function referenceGc(root: string, deleteUntagged: boolean): Promise<CommandResult> {
  const config = await configFor(root);
  return runCommand('docker-registry', ['garbage-collect', ...(deleteUntagged ? ['--delete-untagged'] : []), config], { timeoutMs: 60_000, env: withoutRegistryEnv() });
}

/** A store with tagged images, overwritten tags (untagged manifests), orphan blobs and layers shared across repositories. */
async function fillStore(withIndexAndReferrers: boolean): Promise<{ root: string; tags: [string, string][] }> {
  const registry = await startRegistryProcess();
  const client = new RegistryApiClient(registry.url);
  const shared = randomBlob(3000);
  await client.pushBlob('gc/app', shared);
  await client.pushBlob('gc/lib', shared);
  await client.pushImage('gc/app', 'v1', { layers: [blobDescriptor(shared)] });
  await client.pushImage('gc/app', 'latest');
  await client.pushImage('gc/app', 'latest');
  await client.pushImage('gc/lib', 'stable', { layers: [blobDescriptor(shared)] });
  await client.pushImage('gc/lib', 'stable');
  for (let i = 0; i < 3; i += 1) await client.pushBlob('gc/app', randomBlob(1000 + i));
  const tags: [string, string][] = [['gc/app', 'v1'], ['gc/app', 'latest'], ['gc/lib', 'stable']];
  if (withIndexAndReferrers) {
    const amd = await client.pushImage('gc/multi');
    const arm = await client.pushImage('gc/multi');
    const index = imageIndex({
      manifests: [
        { ...blobDescriptor(amd.manifest, MediaType.OciManifest), platform: LINUX_AMD64 },
        { ...blobDescriptor(arm.manifest, MediaType.OciManifest), platform: LINUX_ARM64 },
      ],
    });
    await client.pushManifest('gc/multi', 'v2', index);
    await client.pushArtifact('gc/multi', blobDescriptor(index, MediaType.OciIndex), { artifactType: 'application/vnd.example.sig' });
    tags.push(['gc/multi', 'v2']);
  }
  await registry.stop();
  return { root: registry.rootDirectory, tags };
}

async function copyOf(root: string): Promise<string> {
  const copy = join((await tempDir('gc-copy')).path, 'data');
  await mkdir(copy, { recursive: true });
  await cp(root, copy, { recursive: true, preserveTimestamps: true });
  return copy;
}

/** Every tag's manifest and blobs, fetched and verified against their digests. */
async function expectServesWhole(url: string, tags: [string, string][]): Promise<void> {
  const client = new RegistryApiClient(url);
  for (const [repository, tag] of tags) {
    const response = await client.get(`/v2/${repository}/manifests/${tag}`, { Accept: [MediaType.OciManifest, MediaType.OciIndex].join(', ') });
    expect(response.status, `${repository}:${tag}`).to.equal(200);
    const manifest = response.json<{ config?: { digest: string }; layers?: { digest: string }[]; manifests?: { digest: string }[] }>();
    for (const child of manifest.manifests ?? []) expect((await client.get(`/v2/${repository}/manifests/${child.digest}`, { Accept: MediaType.OciManifest })).status, child.digest).to.equal(200);
    for (const blob of [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])]) {
      const got = await client.get(`/v2/${repository}/blobs/${blob.digest}`);
      expect(got.status, `${repository}:${tag} ${blob.digest}`).to.equal(200);
      expect(sha256(got.body)).to.equal(blob.digest);
    }
  }
}

describe('gc command against the reference garbage-collect @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  for (const deleteUntagged of [false, true]) {
    it(`frees the same blobs as the reference${deleteUntagged ? ' with --delete-untagged' : ''}, and the reference serves what ours kept`, async () => {
      // distribution 2.8's --delete-untagged deletes index children and referrers (it knows neither): compare on images only.
      const { root, tags } = await fillStore(!deleteUntagged);
      const [theirs, ours] = [await copyOf(root), await copyOf(root)];
      const before = await storedBlobs(root);
      const reference = await referenceGc(theirs, deleteUntagged);
      expect(reference.exitCode, reference.stderr + reference.stdout).to.equal(0);
      const result = await ourGc(await configFor(ours), '--grace-period', '0s', ...(deleteUntagged ? ['--delete-untagged'] : []));
      expect(result.exitCode, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/^gc finished in [\d.]+s: scanned [23] repositories/);
      const [left, right] = [await storedBlobs(theirs), await storedBlobs(ours)];
      expect(right).to.deep.equal(left);
      expect(right.length).to.be.below(before.length - (deleteUntagged ? 6 : 2));
      const reference2 = await startReferenceRegistry({ rootDirectory: ours });
      await expectServesWhole(reference2.url, tags);
      await reference2.stop();
    });
  }

  it('--dry-run lists every deletion with its rule and deletes nothing; --json gives the same as data', async () => {
    const { root } = await fillStore(false);
    const config = await configFor(root, { retention: [{ repository: ['gc/app'], keeplatest: 1 }] });
    const before = await storedBlobs(root);
    const dry = await ourGc(config, '--dry-run', '--grace-period', '0s');
    expect(dry.exitCode, dry.stderr).to.equal(0);
    const lines = dry.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('would delete tag '))).to.have.length(1);
    expect(lines.find((l) => l.startsWith('would delete tag '))).to.match(/^would delete tag gc\/app:v1 \(sha256:[a-f0-9]{64}\)\tkeeplatest: 1 \(this tag is number 2 by push time\)$/);
    expect(lines.filter((l) => l.startsWith('would delete manifest gc/app@'))).to.have.length(2);
    expect(lines.filter((l) => /^would delete blob sha256:[a-f0-9]{64} \(\d+ bytes\)\treferenced by no kept manifest$/.test(l)).length).to.be.at.least(5);
    expect(lines.at(-1)).to.match(/^gc dry run finished in .*would delete 1 tags, 2 manifests/);
    expect(await storedBlobs(root)).to.deep.equal(before);
    const json = await ourGc(config, '--dry-run', '--json', '--grace-period', '0s');
    const parsed = JSON.parse(json.stdout) as { summary: { tagsDeleted: number; dryRun: boolean }; decisions: { kind: string }[] };
    expect(parsed.summary).to.include({ tagsDeleted: 1, dryRun: true });
    expect(parsed.decisions.length).to.equal(lines.length - 1);
  });

  it('keeps a tag the server saw pulled (pull times recorded in batches, written at shutdown) under keeppulledwithin', async () => {
    const registry = await startRegistryProcess();
    const client = new RegistryApiClient(registry.url);
    await client.pushImage('gc/cache', 'pulled');
    await client.pushImage('gc/cache', 'idle');
    expect((await client.get('/v2/gc/cache/manifests/pulled', { Accept: MediaType.OciManifest })).status).to.equal(200);
    await registry.stop();
    const monthAgo = new Date(Date.now() - 30 * 86_400_000);
    for (const tag of ['pulled', 'idle']) await utimes(join(registry.rootDirectory, 'docker/registry/v2/repositories/gc/cache/_manifests/tags', tag, 'current/link'), monthAgo, monthAgo);
    const config = await configFor(registry.rootDirectory, { retention: [{ repository: ['gc/**'], deleteolderthan: '14d', keeppulledwithin: '7d' }] });
    const dry = await ourGc(config, '--dry-run', '--json');
    const decisions = (JSON.parse(dry.stdout) as { decisions: { kind: string; tag?: string; digest?: string; rule: string }[] }).decisions.filter((d) => d.kind === 'tag');
    expect(decisions).to.deep.equal([{ kind: 'tag', repository: 'gc/cache', tag: 'idle', digest: decisions[0]?.digest, rule: 'deleteolderthan: 14d (pushed 30d ago)' }]);
  });

  it('refuses bad options with exit 2 and a held lock with exit 1 (gc, and fsck --repair)', async () => {
    const { root } = await fillStore(false);
    const config = await configFor(root);
    const bad = await ourGc(config, '--repository', 'Not A Glob');
    expect(bad.exitCode).to.equal(2);
    expect(bad.stderr).to.match(/"Not A Glob" is not a repository glob/);
    const badGrace = await ourGc(config, '--grace-period', 'soon');
    expect(badGrace.exitCode).to.equal(2);
    await mkdir(join(root, 'private-registry', 'gc'), { recursive: true });
    await writeFile(join(root, 'private-registry', 'gc', 'lock.json'), JSON.stringify({ owner: 'someone', host: 'elsewhere', pid: 7, acquiredAt: new Date().toISOString(), expiresAt: Date.now() + 60_000 }));
    const busy = await ourGc(config);
    expect(busy.exitCode).to.equal(1);
    expect(busy.stderr).to.match(/another garbage collection holds the lock \(elsewhere pid 7/);
    // fsck only reads without the lock; a repair waits its turn like a collection.
    const check = await runCommand(process.execPath, [CLI_PATH, 'fsck', '--config', config], { timeoutMs: 60_000, env: withoutRegistryEnv() });
    expect(check.exitCode, check.stdout + check.stderr).to.equal(0);
    const repair = await runCommand(process.execPath, [CLI_PATH, 'fsck', '--repair', '--config', config], { timeoutMs: 60_000, env: withoutRegistryEnv() });
    expect(repair.exitCode).to.equal(1);
    expect(repair.stderr).to.match(/private-registry fsck: another garbage collection holds the lock/);
  });
});
