// The store checked at startup, as an operator sees it: a misconfiguration (root not a writable
// directory, no such bucket, credentials refused) stops the CLI with exit 2 and a message naming it;
// an unreachable S3 endpoint does not: the registry starts, says so once, answers 503 and /readyz 503
// until the store comes up, then serves. An S3-backed start writes only JSON log lines, nothing on stderr.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, freePort, runCommand, startS3rver, tempDir, waitForHttp, type S3rver } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { CLI_PATH, runCli, spawnCli, withoutRegistryEnv } from './interop-helpers.js';

async function configFile(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'config.yml');
  await writeFile(path, JSON.stringify({ version: '0.1', ...config }));
  return path;
}

function s3Storage(s3: S3rver, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    s3: { accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: s3.endpoint, bucket: 'unset', ...overrides },
    redirect: { disable: true },
  };
}

/** The CLI with stdout and stderr kept apart (the testbed's process helper merges them into one file). */
function spawnSeparated(config: string, cwd: string): { child: ChildProcess; stdout: () => string; stderr: () => string; stop: () => Promise<void> } {
  const child = spawn(process.execPath, [CLI_PATH, 'serve', config], { cwd, env: { ...process.env, ...withoutRegistryEnv() } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('storage checked at startup @e2e', function () {
  this.timeout(90_000);
  after(cleanupTestbed);

  describe('filesystem', () => {
    it('exits 2 naming storage.filesystem.rootdirectory when it is a regular file', async () => {
      const dir = (await tempDir('root-is-file')).path;
      const file = join(dir, 'data');
      await writeFile(file, 'not a directory');
      const result = await runCli(['serve', await configFile(dir, { http: { addr: '127.0.0.1:0' }, storage: { filesystem: { rootdirectory: file } } })], { cwd: dir });
      expect(result.exitCode, result.stderr).to.equal(2);
      expect(result.stderr).to.contain(`storage misconfigured: storage.filesystem.rootdirectory: ${file}`).and.match(/a file is in the way|not a directory/);
      expect(result.stdout).to.contain('"code":"STORAGE_MISCONFIGURED"');
    });

    it('exits 2 when the root lies under a regular file', async () => {
      const dir = (await tempDir('root-under-file')).path;
      await writeFile(join(dir, 'file'), 'x');
      const root = join(dir, 'file', 'data');
      const result = await runCli(['serve', await configFile(dir, { http: { addr: '127.0.0.1:0' }, storage: { filesystem: { rootdirectory: root } } })], { cwd: dir });
      expect(result.exitCode, result.stderr).to.equal(2);
      expect(result.stderr).to.contain(`storage.filesystem.rootdirectory: ${root}: a file is in the way`);
    });

    it('exits 2 when the root is a directory the registry cannot write', async () => {
      // Permissions do not stop root: run the CLI as nobody when the tests run as root.
      const dir = (await tempDir('root-not-writable')).path;
      await chmod(dir, 0o755);
      const root = join(dir, 'data');
      await mkdir(root);
      await chmod(root, 0o555);
      const config = await configFile(dir, { http: { addr: '127.0.0.1:0' }, storage: { filesystem: { rootdirectory: root } } });
      await chmod(config, 0o644);
      const asRoot = process.getuid?.() === 0;
      const result = asRoot
        ? await runCommand('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI_PATH, 'serve', config], { cwd: dir, env: withoutRegistryEnv(), timeoutMs: 30_000 })
        : await runCli(['serve', config], { cwd: dir });
      expect(result.exitCode, result.stderr).to.equal(2);
      expect(result.stderr).to.contain(`storage misconfigured: storage.filesystem.rootdirectory: ${root} is not writable (EACCES)`);
    });

    it('creates a root directory that does not exist yet', async () => {
      const dir = (await tempDir('root-created')).path;
      const port = await freePort();
      const root = join(dir, 'a', 'b', 'data');
      const child = await spawnCli(['serve', await configFile(dir, { http: { addr: `127.0.0.1:${port}` }, storage: { filesystem: { rootdirectory: root } } })], { cwd: dir });
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 15_000, process: child });
      expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
    });
  });

  describe('S3 (s3rver)', () => {
    let s3: S3rver;
    before(async () => {
      s3 = await startS3rver({ silent: true });
    });

    it('exits 2 naming NoSuchBucket when the bucket does not exist', async () => {
      const dir = (await tempDir('s3-no-bucket')).path;
      const config = await configFile(dir, { http: { addr: '127.0.0.1:0' }, storage: s3Storage(s3, { bucket: 'no-such-bucket' }) });
      const result = await runCli(['serve', config], { cwd: dir });
      expect(result.exitCode, result.stderr).to.equal(2);
      expect(result.stderr).to.match(/storage misconfigured: .*the bucket does not exist \(NoSuchBucket\)/);
    });

    it('exits 2 when S3 refuses the credentials, without printing them', async () => {
      const bucket = await s3.createBucket();
      const dir = (await tempDir('s3-bad-credentials')).path;
      const config = await configFile(dir, { http: { addr: '127.0.0.1:0' }, storage: s3Storage(s3, { bucket, accesskey: 'WRONGKEY', secretkey: 'wrong-secret-value' }) });
      const result = await runCli(['serve', config], { cwd: dir });
      expect(result.exitCode, result.stderr).to.equal(2);
      expect(result.stderr).to.match(/storage misconfigured: .*S3 refused the request: (InvalidAccessKeyId|SignatureDoesNotMatch)/);
      expect(result.stdout + result.stderr).to.not.contain('wrong-secret-value');
    });

    it('writes only JSON log lines on stdout and nothing on stderr, the startup line naming bucket, region and endpoint', async () => {
      const bucket = await s3.createBucket();
      const dir = (await tempDir('s3-clean-output')).path;
      const port = await freePort();
      const config = await configFile(dir, { http: { addr: `127.0.0.1:${port}` }, storage: s3Storage(s3, { bucket }) });
      const run = spawnSeparated(config, dir);
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 15_000 });
      expect((await new RegistryApiClient(`http://127.0.0.1:${port}`).postBlob('ops/s3', randomBlob(3000))).status).to.equal(201);
      await run.stop();
      expect(run.stderr()).to.equal('');
      const lines = run.stdout().split('\n').filter((line) => line !== '');
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const listening = records.find((r) => r.msg === 'registry listening');
      expect(listening).to.include({ level: 'info', storage: 's3', bucket, region: s3.region, endpoint: s3.endpoint, url: `http://127.0.0.1:${port}` });
      expect(run.stdout(), 'no S3 settings (credentials) dumped').to.not.contain('secretkey');
    });

    it('starts when the endpoint does not answer, says so once, answers 503 until S3 comes up, then serves', async () => {
      const s3Port = await freePort();
      const endpoint = `http://127.0.0.1:${s3Port}`;
      const dir = (await tempDir('s3-unreachable')).path;
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const bucket = 'comes-up-later';
      // One worker: each process checks the store and says so once (with N workers, N lines, each naming its worker).
      const config = await configFile(dir, { http: { addr: `127.0.0.1:${port}`, workers: 1 }, storage: { ...s3Storage(s3, { bucket, regionendpoint: endpoint }), delete: { enabled: true } } });
      const child = await spawnCli(['serve', config], { cwd: dir });
      await waitForHttp(`${url}/healthz`, { timeoutMs: 30_000, process: child });

      const blob = randomBlob(2000);
      const pull = await fetch(`${url}/v2/ops/later/blobs/${blob.digest}`);
      expect(pull.status).to.equal(503);
      expect(((await pull.json()) as { errors: { code: string }[] }).errors[0]?.code).to.equal('UNAVAILABLE');
      const notReady = await fetch(`${url}/readyz`);
      expect(notReady.status).to.equal(503);
      const reason = (await notReady.json()) as { status: string; reason: string };
      expect(reason.status).to.equal('not ready');
      expect(reason.reason).to.match(/storage unavailable: .*ECONNREFUSED/);
      expect((await fetch(`${url}/healthz`)).status, 'alive though not ready').to.equal(200);

      const later = await startS3rver({ silent: true, port: s3Port });
      await later.createBucket(bucket);
      await waitForHttp(`${url}/readyz`, { timeoutMs: 20_000 });
      expect((await new RegistryApiClient(url).postBlob('ops/later', blob)).status).to.equal(201);
      expect((await fetch(`${url}/v2/ops/later/blobs/${blob.digest}`)).status).to.equal(200);

      const log = await child.readLog();
      expect(log.split('\n').filter((line) => line.includes('storage is not answering')), log).to.have.length(1);
      expect(log).to.contain('storage is answering again');
      expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
    });
  });
});
