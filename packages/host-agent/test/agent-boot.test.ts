// What a host sees at boot and at shutdown, through the `registry-host-agent` command: `wait` returns only once
// the agent has decided (a registry, or none after a full read), strict mode keeps private names away from
// Docker Hub while no registry is announced, a second SIGTERM does not cut cleanup short, and a missing --root
// is refused instead of created.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeRegistryRecord, type RegistryRecord } from '@private-registry/core';
import { cleanupTestbed, ourCliPath, runCommand, startDockerd, startEtcd, startProcess, tempDir, type Etcd, type ManagedProcess } from '@private-registry/testbed';

const PREFIX = '/services/docker-registry/';
const EMPTY_PREFIX = '/services/nothing-announced/';
const CLI = ourCliPath('host-agent');
const record: RegistryRecord = { id: '10.3.0.1:5000', url: 'http://10.3.0.1:5000', scheme: 'http', host: '10.3.0.1', port: 5000, hostname: 'reg', version: '1', startedAt: '2026-12-03T00:00:00Z' };
const identity = ['--hostname', 'boot-host', '--machine-id', 'boot-machine', '--address', '10.9.9.8'];

describe('the host agent at boot and shutdown @e2e', function () {
  this.timeout(60_000);
  let etcd: Etcd;
  const cli = (args: string[], timeoutMs = 20_000) => runCommand(process.execPath, [CLI, ...args], { env: { ETCD_ENDPOINTS: undefined }, timeoutMs });

  before(async () => {
    etcd = await startEtcd();
    await etcd.etcdctl(['put', `${PREFIX}${record.id}`, serializeRegistryRecord(record)]);
  });
  after(cleanupTestbed);

  async function hostRoot(name: string, environment = 'LANG=C.UTF-8\n'): Promise<string> {
    const root = (await tempDir(name)).path;
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'etc/environment'), environment);
    return root;
  }

  async function startAgent(root: string, extra: string[] = []): Promise<ManagedProcess> {
    return startProcess({
      command: process.execPath,
      args: [CLI, 'run', '--etcd', etcd.endpoint, '--root', root, '--docker-reload', 'none', ...identity, ...extra],
      logFile: join(root, 'agent.log'),
      env: { ETCD_ENDPOINTS: undefined },
    });
  }

  const environment = async (root: string): Promise<string> => readFile(join(root, 'etc/environment'), 'utf8');

  it('`wait` blocks until the first decision, then returns 0 naming the registry; after the agent stops it waits again', async () => {
    const root = await hostRoot('boot-wait');
    const waiting = runCommand(process.execPath, [CLI, 'wait', '--root', root, '--timeout', '20s'], { timeoutMs: 25_000 });
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(settled, 'wait returned before any agent ran').to.equal(false);

    const agent = await startAgent(root);
    const result = await waiting;
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^decided: 10\.3\.0\.1:5000 /);
    // By the time wait returns, DOCKER_REPO says what units will read.
    expect(await environment(root)).to.equal('LANG=C.UTF-8\nDOCKER_REPO=10.3.0.1:5000/\n');

    expect((await agent.stop({ signal: 'SIGTERM' })).code).to.equal(0);
    expect(existsSync(join(root, 'run/registry-host-agent/ready')), 'the ready file goes with the agent').to.equal(false);
    const after = await cli(['wait', '--root', root, '--timeout', '300ms']);
    expect(after.exitCode).to.equal(1);
    expect(after.stderr).to.match(/no decision within 300ms: no ready file at \/run\/registry-host-agent\/ready/);
  });

  it('`wait` returns when none is announced after a full read: the decision is "no registry"', async () => {
    const root = await hostRoot('boot-none');
    const agent = await startAgent(root, ['--prefix', EMPTY_PREFIX]);
    const result = await cli(['wait', '--root', root, '--timeout', '10s']);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^decided: no registry announced /);
    expect(await environment(root)).to.equal('LANG=C.UTF-8\n');
    await agent.stop({ signal: 'SIGTERM' });
  });

  it('--strict points DOCKER_REPO at an address that refuses while none is announced, follows a registry, and removes it at stop', async () => {
    const root = await hostRoot('boot-strict');
    const prefix = '/services/strict-test/';
    const agent = await startAgent(root, ['--prefix', prefix, '--strict', '--dwell', '0']);
    expect((await cli(['wait', '--root', root, '--timeout', '10s'])).exitCode).to.equal(0);
    expect(await environment(root)).to.equal('LANG=C.UTF-8\nDOCKER_REPO=127.0.0.1:1/\n');

    await etcd.etcdctl(['put', `${prefix}${record.id}`, serializeRegistryRecord(record)]);
    await agent.waitForLog('registry chosen', { timeoutMs: 10_000 });
    expect(await environment(root)).to.equal('LANG=C.UTF-8\nDOCKER_REPO=10.3.0.1:5000/\n');
    await etcd.etcdctl(['del', `${prefix}${record.id}`]);
    await agent.waitForLog('no registry for this host', { timeoutMs: 10_000 });
    expect(await environment(root)).to.equal('LANG=C.UTF-8\nDOCKER_REPO=127.0.0.1:1/\n');

    expect((await agent.stop({ signal: 'SIGTERM' })).code).to.equal(0);
    expect(await environment(root), 'the host as it was').to.equal('LANG=C.UTF-8\n');
  });

  it("a pull of ${DOCKER_REPO}<private name> in strict mode fails within seconds on a real dockerd, without asking Docker Hub", async () => {
    const dockerd = await startDockerd();
    const started = Date.now();
    const pull = await dockerd.docker(['pull', '127.0.0.1:1/myteam/app:1'], { timeoutMs: 30_000 });
    const tookMs = Date.now() - started;
    expect(pull.exitCode).to.not.equal(0);
    expect(pull.stderr).to.match(/127\.0\.0\.1:1.*connection refused/);
    expect(tookMs).to.be.below(5_000);
  });

  it('a second SIGTERM during cleanup is ignored: the host is restored and the agent exits 0', async () => {
    // Its own etcd, frozen while the agent stops: cleanup then waits on etcd, which leaves time for a second signal.
    const frozen = await startEtcd();
    await frozen.etcdctl(['put', `${PREFIX}${record.id}`, serializeRegistryRecord(record)]);
    const root = await hostRoot('boot-sigterm');
    const agent = await startProcess({
      command: process.execPath,
      args: [CLI, 'run', '--etcd', frozen.endpoint, '--root', root, '--docker-reload', 'none', ...identity],
      logFile: join(root, 'agent.log'),
      env: { ETCD_ENDPOINTS: undefined },
    });
    await agent.waitForLog('registry chosen', { timeoutMs: 10_000 });
    const etcdPid = frozen.pid() as number;
    process.kill(etcdPid, 'SIGSTOP');
    try {
      agent.signal('SIGTERM');
      await agent.waitForLog('stopping: removing what this agent added', { timeoutMs: 5_000 });
      agent.signal('SIGTERM');
      await agent.waitForLog('already stopping: finishing the cleanup first', { timeoutMs: 5_000 });
      expect(agent.isRunning(), 'still cleaning up after the second SIGTERM').to.equal(true);
    } finally {
      process.kill(etcdPid, 'SIGCONT');
    }
    const exit = await agent.exited;
    expect(exit, 'not killed by the second signal').to.deep.equal({ code: 0, signal: null });
    expect(await environment(root)).to.equal('LANG=C.UTF-8\n');
  });

  it('refuses a --root that does not exist (exit 2) and creates nothing', async () => {
    const parent = (await tempDir('boot-noroot')).path;
    const missing = join(parent, 'not', 'there');
    for (const command of [['run', '--once', '--etcd', etcd.endpoint], ['status', '--etcd', etcd.endpoint], ['wait']]) {
      const result = await cli([...command, '--root', missing]);
      expect(result.exitCode, command[0]).to.equal(2);
      expect(result.stderr).to.match(/--root ".*\/not\/there" (does not exist|is not an existing directory)/);
    }
    expect(existsSync(join(parent, 'not'))).to.equal(false);
  });

  it('status on a host the agent never changed shows updatedAt null', async () => {
    const root = await hostRoot('boot-status');
    const result = await cli(['status', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect((JSON.parse(result.stdout) as { applied: { updatedAt: unknown } }).applied.updatedAt).to.equal(null);
  });
});
