// `private-registry fsck` on stores a registry process filled with real images (skopeo pushes), then damaged on
// purpose: on the filesystem and on S3. The report names each problem by path, the exit status says whether the
// store is clean, --repair quarantines the corrupt blob and removes what points at nothing, and the store is
// clean and pullable afterwards.
import { expect } from 'chai';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import {
  assertSucceeded,
  buildBusyboxImage,
  CLI_PATH,
  cleanupTestbed,
  runCommand,
  skopeo,
  startRegistryProcess,
  startS3rver,
  tempDir,
  withoutRegistryEnv,
  type CommandResult,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { parseDigest } from '../../src/oci/digest.js';
import { pathFor } from '../../src/storage/path-spec.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { s3ConfigText, startS3Registry } from './s3-registry.js';

function fsck(config: string, ...args: string[]): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_PATH, 'fsck', '--config', config, ...args], { timeoutMs: 120_000, env: withoutRegistryEnv() });
}

interface Filled {
  orphan: string;
  extraManifest: string;
}

/** Pushes busybox with skopeo, one more image and an orphan blob through the API. */
async function fill(host: string, url: string): Promise<Filled> {
  const image = await buildBusyboxImage(join((await tempDir('fsck-image')).path, 'layout'));
  assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${host}/fsck/app:v1`]));
  const client = new RegistryApiClient(url);
  const extra = await client.pushImage('fsck/app', 'extra');
  const orphan = await client.pushBlob('fsck/app', randomBlob(5000));
  return { orphan: orphan.digest, extraManifest: extra.manifest.digest };
}

/** Flips the orphan blob's bytes and removes the extra image's revision (its tag now points at nothing). */
async function damage(driver: StorageDriver, filled: Filled): Promise<void> {
  const path = pathFor({ kind: 'blobData', digest: parseDigest(filled.orphan) });
  const bytes = await driver.getContent(path);
  bytes[100] = bytes[100]! ^ 0x01;
  await driver.putContent(path, bytes);
  await driver.delete(pathFor({ kind: 'manifestRevision', name: 'fsck/app', digest: parseDigest(filled.extraManifest) }));
  // A repair leaves alone links written in the last two seconds (a push under way): let the store age past that.
  await new Promise((resolve) => setTimeout(resolve, 2500));
}

async function expectFoundRepairedClean(config: string, host: string, driver: StorageDriver, filled: Filled): Promise<void> {
  const found = await fsck(config);
  expect(found.exitCode, found.stderr).to.equal(1);
  const lines = found.stdout.trim().split('\n');
  expect(lines).to.include(`corrupt  blob ${pathFor({ kind: 'blobData', digest: parseDigest(filled.orphan) })}: content hashes to ${lines.join('\n').match(/content hashes to (sha256:[a-f0-9]{64})/)?.[1] ?? '?'}, not ${filled.orphan}`);
  expect(lines.some((l) => /^dangling tag \/docker\/registry\/v2\/repositories\/fsck\/app\/_manifests\/tags\/extra\/current\/link: fsck\/app:extra points at sha256:/.test(l)), found.stdout).to.equal(true);
  expect(lines.at(-1), found.stdout).to.match(/^fsck: checked \d+ blobs \(\d+ bytes verified\), \d+ links, 1 manifests, 2 tags in [\d.]+s: 3 problems \(1 corrupt, 0 missing, 2 dangling\)$/);
  const json = JSON.parse((await fsck(config, '--json')).stdout) as { summary: { remaining: number }; findings: unknown[] };
  expect(json.summary.remaining).to.equal(3);

  const repaired = await fsck(config, '--repair');
  expect(repaired.exitCode, repaired.stdout + repaired.stderr).to.equal(0);
  expect(repaired.stdout).to.match(/\[repaired: moved to \/private-registry\/quarantine\/\d{8}T\d{6}Z\/sha256\/[a-f0-9]{64}\]/);
  const quarantine = repaired.stdout.match(/moved to (\S+)\]/)?.[1] as string;
  expect((await driver.getContent(quarantine)).length).to.equal(5000);
  const again = await fsck(config);
  expect(again.exitCode, again.stdout).to.equal(0);
  expect(again.stdout, again.stdout).to.match(/: clean\n?$/);
  const out = join((await tempDir('fsck-pull')).path, 'layout');
  assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/fsck/app:v1`, `oci:${out}:v1`]));
}

describe('fsck command @e2e', function () {
  this.timeout(180_000);
  after(cleanupTestbed);

  it('on the filesystem: finds, repairs, and leaves a clean, pullable store', async () => {
    const registry = await startRegistryProcess();
    const filled = await fill(registry.host, registry.url);
    const driver = new FilesystemDriver({ rootDirectory: registry.rootDirectory });
    await damage(driver, filled);
    await expectFoundRepairedClean(registry.configPath, registry.host, driver, filled);
    await registry.stop();
  });

  it('on S3: finds, repairs, and leaves a clean, pullable store', async () => {
    const s3 = await startS3rver({ silent: true });
    const configText = s3ConfigText(s3, { bucket: await s3.createBucket(), rootdirectory: '/fsck' });
    const registry = await startS3Registry({ configText });
    const filled = await fill(registry.host, registry.url);
    const { S3Driver } = await import('../../src/storage/s3/s3-driver.js');
    const { parseS3Settings } = await import('../../src/storage/s3/s3-settings.js');
    const parsed = JSON.parse(configText) as { storage: { s3: Record<string, unknown> } };
    const driver = new S3Driver({ settings: parseS3Settings(parsed.storage.s3, () => undefined), redirectDisabled: true });
    await damage(driver, filled);
    const config = join((await tempDir('fsck-s3')).path, 'config.yml');
    await writeFile(config, configText.replaceAll('{{ADDR}}', '127.0.0.1:0'));
    await expectFoundRepairedClean(config, registry.host, driver, filled);
    await registry.stop();
  });
});
