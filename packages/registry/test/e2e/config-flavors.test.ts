// Flavors files through the real CLI, as the old docker-registry's users have them: the file named by
// DOCKER_REGISTRY_CONFIG (relative to the working directory), SETTINGS_FLAVOR=prod on a real S3 (s3rver)
// written with the old flat keys, REGISTRY_* variables on top; a missing flavor; a mixed file refused.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, freePort, startS3rver, tempDir, waitForHttp, type S3rver } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { runCli, spawnCli } from './interop-helpers.js';

/** The old registry's layout of a flavors file: common, a local dev flavor, an S3 prod flavor. */
function flavorsFile(s3: S3rver, bucket: string): string {
  return `
common:
  loglevel: _env:LOGLEVEL:info
  standalone: true
  secret_key: _env:HTTP_SECRET:not-used
dev:
  storage: local
  storage_path: _env:STORAGE_PATH:./dev-data
prod:
  storage: s3
  s3_bucket: ${bucket}
  s3_region: ${s3.region}
  s3_access_key: _env:AWS_KEY
  s3_secret_key: _env:AWS_SECRET
  s3_secure: false
  boto_host: 127.0.0.1
  boto_port: ${s3.port}
  storage_path: /prod
`;
}

describe('flavors files through the CLI @e2e', function () {
  this.timeout(90_000);
  let s3: S3rver;
  before(async function () {
    s3 = await startS3rver({ silent: true });
  });
  after(cleanupTestbed);

  it('SETTINGS_FLAVOR=prod stores in the S3 bucket prod names (old keys, _env: values), with REGISTRY_* variables on top', async function () {
    const cwd = (await tempDir('cfg-flavor-prod')).path;
    const decoy = await s3.createBucket();
    const bucket = await s3.createBucket();
    // The file names a decoy bucket; REGISTRY_STORAGE_S3_BUCKET overrides it, as distribution's rule says.
    await writeFile(join(cwd, 'registry.yml'), flavorsFile(s3, decoy));
    const port = await freePort();
    const child = await spawnCli(['serve'], {
      cwd,
      env: {
        DOCKER_REGISTRY_CONFIG: 'registry.yml',
        SETTINGS_FLAVOR: 'prod',
        AWS_KEY: s3.accessKey,
        AWS_SECRET: s3.secretKey,
        REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
        REGISTRY_STORAGE_S3_BUCKET: bucket,
      },
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/v2/`, { timeoutMs: 15_000, process: child });

    const blob = randomBlob(4096);
    expect((await new RegistryApiClient(url).postBlob('flavors/prod', blob)).status).to.equal(201);
    // Read straight from the bucket (s3rver answers anonymous reads): prod's storage_path is the key prefix.
    const hex = blob.digest.slice('sha256:'.length);
    const object = await fetch(`${s3.endpoint}/${bucket}/prod/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    expect(object.status).to.equal(200);
    expect(Buffer.from(await object.arrayBuffer()).equals(Buffer.from(blob.bytes))).to.equal(true);
    const inDecoy = await fetch(`${s3.endpoint}/${decoy}/prod/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`);
    expect(inDecoy.status, 'nothing in the bucket the variable replaced').to.equal(404);
    expect(existsSync(join(cwd, 'dev-data')), 'nothing on local disk').to.equal(false);

    const log = await child.readLog();
    expect(log).to.include('configuration key \\"standalone\\" (flavor common) of the old docker-registry has no meaning here and is ignored');
    expect(log).to.not.include(s3.secretKey);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('the default flavor dev stores on local disk under its storage_path', async function () {
    const cwd = (await tempDir('cfg-flavor-dev')).path;
    await writeFile(join(cwd, 'registry.yml'), flavorsFile(s3, 'unused'));
    const port = await freePort();
    const child = await spawnCli(['serve', '--config', 'registry.yml'], { cwd, env: { REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` } });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 15_000, process: child });
    const blob = randomBlob(1024);
    expect((await new RegistryApiClient(`http://127.0.0.1:${port}`).postBlob('flavors/dev', blob)).status).to.equal(201);
    expect(existsSync(join(cwd, 'dev-data', 'docker/registry/v2/blobs/sha256'))).to.equal(true);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('refuses a flavor the file does not define, naming the flavors it does', async function () {
    const cwd = (await tempDir('cfg-flavor-missing')).path;
    await writeFile(join(cwd, 'registry.yml'), flavorsFile(s3, 'unused'));
    const result = await runCli(['serve'], { cwd, env: { DOCKER_REGISTRY_CONFIG: join(cwd, 'registry.yml'), SETTINGS_FLAVOR: 'staging' } });
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.include('flavor "staging" is not defined in').and.include('its flavors: dev, prod (set by SETTINGS_FLAVOR)');
  });

  it('refuses a flavors file with a version key added (it would otherwise ignore prod and store locally)', async function () {
    const cwd = (await tempDir('cfg-flavor-mixed')).path;
    await writeFile(join(cwd, 'registry.yml'), `version: 0.1\n${flavorsFile(s3, 'unused')}`);
    const result = await runCli(['serve', 'registry.yml'], { cwd, env: { SETTINGS_FLAVOR: 'prod' } });
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.include('mixes flavor sections (common, prod)');
    expect(existsSync(join(cwd, 'dev-data'))).to.equal(false);
  });
});
