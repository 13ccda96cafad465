// The `private-registry` CLI as an operator uses it: environment-only configuration, the no-configuration
// default, startup refusals that name the bad key, htpasswd auth from the file, --version/--help, and a
// graceful SIGTERM drain.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { basicAuth, cleanupTestbed, freePort, httpJson, tempDir, waitForHttp, writeHtpasswdFile, type ManagedProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { blobDataPath, CLI_PATH, runCli, spawnCli, startOurRegistry, type OurRegistry } from './interop-helpers.js';
import { sharedDir, spawnCliUnprivileged } from './config-cli-helpers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Pushes one blob and returns where distribution's layout says it must be under `root`. */
async function pushBlobAndLocate(url: string, root: string): Promise<{ path: string; bytes: Buffer }> {
  const blob = randomBlob(4096);
  const response = await new RegistryApiClient(url).postBlob('cli/blob', blob);
  expect(response.status, response.text).to.equal(201);
  return { path: blobDataPath(root, blob.digest), bytes: blob.bytes };
}

/** True when nothing listens on 0.0.0.0:5000 (so the no-configuration default can bind it). */
function port5000IsFree(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '0.0.0.0', port: 5000, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

async function writeConfig(dir: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, 'config.yml');
  await writeFile(path, JSON.stringify({ version: '0.1', storage: { filesystem: { rootdirectory: join(dir, 'data') } }, ...config }));
  return path;
}

describe('the private-registry CLI as an operator runs it @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('serves from REGISTRY_* variables alone and stores under REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY', async () => {
    const cwd = (await tempDir('cli-env-only')).path;
    const root = join((await tempDir('cli-env-root')).path, 'store');
    const port = await freePort();
    const child = await spawnCli(['serve'], {
      cwd,
      env: { REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root },
    });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 15_000, process: child });

    const blob = await pushBlobAndLocate(`http://127.0.0.1:${port}`, root);
    expect((await readFile(blob.path)).equals(blob.bytes)).to.equal(true);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('with no configuration at all, listens on 0.0.0.0:5000 and stores under the absolute default root (XDG for a non-root user)', async function () {
    if (!(await port5000IsFree())) {
      this.test!.title += ' (skipped: port 5000 is taken on this machine, the default cannot bind)';
      this.skip();
    }
    // Run as nobody when root: the root default is the real /var/lib/registry, which a test must never fill.
    const cwd = await sharedDir('cli-defaults');
    const xdg = await sharedDir('cli-defaults-xdg');
    const child = await spawnCliUnprivileged(['serve'], { cwd, env: { XDG_DATA_HOME: xdg, HOME: '/nonexistent' } });
    await waitForHttp('http://127.0.0.1:5000/v2/', { timeoutMs: 15_000, process: child });

    const root = join(xdg, 'private-registry');
    const line = await child.waitForLog('no configuration file');
    expect(line).to.contain('0.0.0.0:5000').and.contain(root);
    const blob = await pushBlobAndLocate('http://127.0.0.1:5000', root);
    expect((await readFile(blob.path)).equals(blob.bytes)).to.equal(true);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  const badEnvironments: [string, Record<string, string>, RegExp][] = [
    ['REGISTRY_HTTP_ADDR=abc', { REGISTRY_HTTP_ADDR: 'abc' }, /http\.addr.*REGISTRY_HTTP_ADDR/],
    ['REGISTRY_STORAGE_DELETE_ENABLED=maybe', { REGISTRY_STORAGE_DELETE_ENABLED: 'maybe' }, /storage\.delete\.enabled.*REGISTRY_STORAGE_DELETE_ENABLED/],
    ['REGISTRY_LOG_LEVEL=loud', { REGISTRY_LOG_LEVEL: 'loud' }, /log\.level/],
  ];
  for (const [title, env, names] of badEnvironments) {
    it(`refuses to start on ${title}, exiting non-zero with the key named on stderr`, async () => {
      const cwd = (await tempDir('cli-bad-env')).path;
      const result = await runCli(['serve'], { cwd, env: { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(cwd, 'data'), ...env } });
      expect(result.exitCode, result.stderr).to.not.equal(0);
      expect(result.stderr).to.match(/invalid configuration: /).and.match(names);
    });
  }

  const badFiles: [string, Record<string, unknown>, RegExp][] = [
    ['a drain timeout in days', { http: { addr: '127.0.0.1:0', draintimeout: '7d' } }, /http\.draintimeout/],
    ['an upload purge age that is not a duration', { storage: { filesystem: { rootdirectory: './data' }, maintenance: { uploadpurging: { age: '1 day' } } } }, /storage\.maintenance\.uploadpurging\.age/],
    ['a TLS certificate without its key', { http: { addr: '127.0.0.1:0', tls: { certificate: '/tmp/cert.pem' } } }, /http\.tls/],
    ['an unsupported storage driver', { storage: { gcs: { bucket: 'b' } } }, /gcs/],
  ];
  for (const [title, config, names] of badFiles) {
    it(`refuses to start on a config file with ${title}, naming the key`, async () => {
      const dir = (await tempDir('cli-bad-file')).path;
      const result = await runCli(['serve', await writeConfig(dir, config)], { cwd: dir });
      expect(result.exitCode, result.stderr).to.not.equal(0);
      expect(result.stderr).to.match(/invalid configuration: /).and.match(names);
    });
  }

  it('warns about an unknown key by its dotted path and still starts', async () => {
    const registry = await startOurRegistry({ config: { http: { frobnicate: true }, storage: { filesytem: { rootdirectory: '/nowhere' } } } });
    const warnings = (await registry.process.readLog())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string })
      .filter((entry) => entry.level === 'warn')
      .map((entry) => entry.msg);
    expect(warnings).to.include('unknown configuration key "http.frobnicate"');
    expect(warnings).to.include('unknown configuration key "storage.filesytem"');
    expect((await registry.client.get('/v2/')).status).to.equal(200);
    await registry.stop();
  });

  it('refuses to start with auth.htpasswd naming a missing file: exit 2, the file named on stderr', async () => {
    const dir = (await tempDir('cli-auth-missing')).path;
    const missing = join(dir, 'no-such-dir', 'htpasswd');
    const config = await writeConfig(dir, { http: { addr: '127.0.0.1:0' }, auth: { htpasswd: { realm: 'r', path: missing } } });
    const result = await runCli(['serve', config], { cwd: dir });
    expect(result.exitCode, result.stderr).to.equal(2);
    expect(result.stderr).to.include(`auth.htpasswd.path: ${missing}: the file does not exist`);
  });

  it('asks for Basic credentials in the configured realm with an auth.htpasswd file, and answers 200 with them', async () => {
    const dir = (await tempDir('cli-auth-htpasswd')).path;
    const htpasswd = join(dir, 'htpasswd');
    const password = 'cli-Pa55-word';
    await writeHtpasswdFile(htpasswd, [{ user: 'alice', password }]);
    const port = await freePort();
    const config = await writeConfig(dir, { http: { addr: `127.0.0.1:${port}` }, auth: { htpasswd: { realm: 'CLI Realm', path: htpasswd } } });
    const child = await spawnCli(['serve', config], { cwd: dir });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, { timeoutMs: 15_000, process: child });

    const anonymous = await httpJson(`${base}/v2/`);
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers.get('www-authenticate')).to.match(/^Basic realm="CLI Realm"(, charset="UTF-8")?$/);
    const wrong = await httpJson(`${base}/v2/`, { headers: { authorization: basicAuth('alice', 'not-the-password') } });
    expect(wrong.status).to.equal(401);
    const right = await httpJson(`${base}/v2/`, { headers: { authorization: basicAuth('alice', password) } });
    expect(right.status, right.text).to.equal(200);
    expect(await child.readLog()).to.not.include(password);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('refuses to start on a malformed htpasswd line, naming the line but not the hash', async () => {
    const dir = (await tempDir('cli-auth-line')).path;
    await writeFile(join(dir, 'htpasswd'), '# users\nok:$2y$05$abcdefghijklmnopqrstuu5FHCrJIdO6.pYtk5l2Fz4ZO/tFVgkMu\nold:$apr1$xyzxyzxy$ABCDEFGHIJKLMNOPQRSTU.\n');
    const config = await writeConfig(dir, { http: { addr: '127.0.0.1:0' }, auth: { htpasswd: { realm: 'r', path: join(dir, 'htpasswd') } } });
    const result = await runCli(['serve', config], { cwd: dir });
    expect(result.exitCode).to.equal(2);
    expect(result.stderr).to.include(`${join(dir, 'htpasswd')}:3:`);
    expect(result.stderr).to.not.include('ABCDEFGHIJKLMNOPQRSTU');
  });

  it('prints its version with --version', async () => {
    const result = await runCli(['--version']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout.trim()).to.equal(VERSION);
  });

  it('explains serve and its configuration file in serve --help', async () => {
    const result = await runCli(['serve', '--help']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('--config').and.match(/configuration file/);
    expect(CLI_PATH).to.match(/cli\.js$/);
  });
});

/** A PATCH whose body is written in `chunks` pieces, one every `everyMs`, over a keep-alive connection. */
function slowPatch(url: string, chunks: number, everyMs: number, chunkSize = 64 * 1024) {
  const agent = new http.Agent({ keepAlive: true });
  let written = 0;
  let stopped = false;
  const req = http.request(url, { method: 'PATCH', agent, headers: { 'Content-Type': 'application/octet-stream' } });
  const response = new Promise<{ status: number; range: string | undefined }>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, range: res.headers.range }));
    });
    req.on('error', reject);
  });
  void (async () => {
    for (let i = 0; i < chunks && !stopped && !req.destroyed; i++) {
      req.write(Buffer.alloc(chunkSize, i));
      written += chunkSize;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    if (!req.destroyed) req.end();
  })();
  return {
    response,
    bytesWritten: () => written,
    stop: () => {
      stopped = true;
      req.destroy();
      agent.destroy();
    },
    close: () => agent.destroy(),
  };
}

async function exitWithin(process: ManagedProcess, ms: number): Promise<{ code: number | null; exitedAt: number } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    process.exited.then((exit) => ({ code: exit.code, exitedAt: Date.now() })),
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

describe('graceful shutdown of the private-registry process @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  let registry: OurRegistry;

  it('finishes an upload in flight after SIGTERM, refuses new connections, and exits 0 once it is done', async () => {
    // One worker: with several, the port is the primary's and closes once every worker has let go of it, so a
    // connection in the first milliseconds after SIGTERM may still be accepted (and served); workers.test.ts
    // covers the drain of several workers.
    registry = await startOurRegistry({ config: { http: { workers: 1 } } });
    const session = await registry.client.startUpload('cli/drain');
    const upload = slowPatch(session.location, 20, 100);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const offset = await registry.process.logOffset();

    registry.process.signal('SIGTERM');
    await registry.process.waitForLog('shutting down', { fromOffset: offset });
    expect(await connectionRefused(registry.port), 'a new connection after SIGTERM').to.equal(true);
    const exit = exitWithin(registry.process, 9_000);
    const answer = await upload.response;
    const answeredAt = Date.now();

    expect(answer.status).to.equal(202);
    expect(answer.range).to.equal(`0-${upload.bytesWritten() - 1}`);
    expect(upload.bytesWritten()).to.equal(20 * 64 * 1024);
    const exited = await exit;
    upload.close();
    const state = exited === 'still running' ? 'still running 9 s after SIGTERM, 7 s after its last request was answered' : 'exited';
    expect(state, 'exits once the request in flight is done, not at the 10 s drain timeout').to.equal('exited');
    expect(exited).to.have.property('code', 0);
    // Not held open by the client's idle keep-alive connection until the drain timeout.
    if (exited !== 'still running') expect(exited.exitedAt - answeredAt).to.be.lessThan(2_000);
  });

  it('cuts a request that would outlive http.draintimeout and still exits', async () => {
    registry = await startOurRegistry({ config: { http: { draintimeout: '1s' } } });
    const session = await registry.client.startUpload('cli/drain');
    // 100 chunks, one every 100 ms: ten seconds, far past the one-second drain.
    const upload = slowPatch(session.location, 100, 100);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();

    registry.process.signal('SIGTERM');
    const outcome = await upload.response.then(
      (answer) => `answered ${answer.status}`,
      (err: unknown) => `cut: ${(err as Error).message}`,
    );
    const cutAfterMs = Date.now() - signalledAt;
    upload.stop();
    const exited = await exitWithin(registry.process, 5_000);

    expect(outcome).to.match(/^cut: /);
    expect(cutAfterMs).to.be.within(800, 4_000);
    expect(upload.bytesWritten()).to.be.lessThan(100 * 64 * 1024);
    expect(exited, 'exit soon after the drain timeout').to.not.equal('still running');
    expect(exited).to.have.property('code', 0);
    expect(await registry.process.readLog()).to.contain('drain timeout reached');
  });
});
