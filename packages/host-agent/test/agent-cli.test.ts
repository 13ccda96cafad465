// The `registry-host-agent` command as an operator runs it: `run --once`, `--dry-run`, `status`, `--keep-on-exit`,
// SIGTERM cleanup, and one clear line for a bad flag.
import { expect } from 'chai';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeRegistryRecord, type RegistryRecord } from '@private-registry/core';
import { cleanupTestbed, ourCliPath, runCommand, startEtcd, startProcess, tempDir, type Etcd } from '@private-registry/testbed';

const PREFIX = '/services/docker-registry/';
const CLI = ourCliPath('host-agent');
const record: RegistryRecord = { id: '10.2.0.1:5000', url: 'http://10.2.0.1:5000', scheme: 'http', host: '10.2.0.1', port: 5000, hostname: 'reg', version: '1', startedAt: '2026-11-22T00:00:00Z' };

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length)).sort();
}

describe('the registry-host-agent command @e2e', function () {
  this.timeout(60_000);
  let etcd: Etcd;
  const agent = (args: string[]) => runCommand(process.execPath, [CLI, ...args], { env: { ETCD_ENDPOINTS: undefined }, timeoutMs: 20_000 });
  const identity = ['--hostname', 'cli-host', '--machine-id', 'cli-machine', '--address', '10.9.9.9'];

  before(async () => {
    etcd = await startEtcd();
    await etcd.etcdctl(['put', `${PREFIX}${record.id}`, serializeRegistryRecord(record)]);
  });
  after(cleanupTestbed);

  it('--once writes the files for the announced registry and exits 0', async () => {
    const root = (await tempDir('cli-once')).path;
    const result = await agent(['run', '--once', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    expect(result.exitCode, result.stderr + result.stdout).to.equal(0);
    expect(await readFile(join(root, 'etc/environment'), 'utf8')).to.equal('DOCKER_REPO=10.2.0.1:5000/\n');
    expect(await filesUnder(root)).to.deep.equal([
      '/etc/containerd/certs.d/docker.io/hosts.toml',
      '/etc/containers/registries.conf.d/50-registry-host-agent.conf',
      '/etc/docker/daemon.json',
      '/etc/environment',
      '/var/lib/registry-host-agent/state.json',
    ]);
  });

  it('--dry-run --once logs what it would write and writes nothing', async () => {
    const root = (await tempDir('cli-dry')).path;
    const result = await agent(['run', '--once', '--dry-run', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(await filesUnder(root)).to.deep.equal([]);
    const wouldWrite = result.stdout.split('\n').filter((l) => l.includes('"would write"'));
    expect(wouldWrite.map((l) => (JSON.parse(l) as { writer: string }).writer).sort()).to.deep.equal(['containerd', 'docker', 'environment', 'podman']);
  });

  it('--once exits 1 and changes nothing when etcd cannot be reached', async () => {
    const root = (await tempDir('cli-down')).path;
    const result = await agent(['run', '--once', '--etcd', '127.0.0.1:1', '--etcd-dial-timeout', '500', '--root', root, ...identity]);
    expect(result.exitCode).to.equal(1);
    expect(result.stdout).to.include('etcd unreachable; nothing changed');
    expect(await filesUnder(root)).to.deep.equal([]);
  });

  it('switches writers off one by one', async () => {
    const root = (await tempDir('cli-some')).path;
    const result = await agent(['run', '--once', '--no-docker', '--no-containerd', '--no-podman', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(await filesUnder(root)).to.deep.equal(['/etc/environment', '/var/lib/registry-host-agent/state.json']);
  });

  it('status reports what it sees, would choose and has written', async () => {
    const root = (await tempDir('cli-status')).path;
    await agent(['run', '--once', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    const result = await agent(['status', '--etcd', etcd.endpoint, '--root', root, ...identity]);
    expect(result.exitCode, result.stderr).to.equal(0);
    const report = JSON.parse(result.stdout) as {
      etcd: { reachable: boolean };
      registries: RegistryRecord[];
      wouldChoose: { id: string; address: string };
      applied: { registryId: string };
      files: Record<string, { exists: boolean }>;
    };
    expect(report.etcd.reachable).to.equal(true);
    expect(report.registries.map((r) => r.id)).to.deep.equal([record.id]);
    expect(report.wouldChoose).to.deep.include({ id: record.id, address: '10.2.0.1:5000' });
    expect(report.applied.registryId).to.equal(record.id);
    expect(Object.keys(report.files).sort()).to.deep.equal(['containerd', 'docker', 'environment', 'podman']);
    expect(report.files['environment']?.exists).to.equal(true);
  });

  it('SIGTERM removes what it added; with --keep-on-exit it leaves the files', async () => {
    for (const keep of [false, true]) {
      const root = (await tempDir('cli-signal')).path;
      await mkdir(join(root, 'etc'), { recursive: true });
      await writeFile(join(root, 'etc/environment'), 'LANG=C.UTF-8\n');
      const child = await startProcess({
        command: process.execPath,
        args: [CLI, 'run', '--etcd', etcd.endpoint, '--root', root, '--docker-reload', 'none', ...identity, ...(keep ? ['--keep-on-exit'] : [])],
        logFile: join(root, 'agent.log'),
        env: { ETCD_ENDPOINTS: undefined },
      });
      await child.waitForLog('registry chosen', { timeoutMs: 10_000 });
      const exit = await child.stop({ signal: 'SIGTERM' });
      expect(exit.code).to.equal(0);
      const environment = await readFile(join(root, 'etc/environment'), 'utf8');
      expect(environment).to.equal(keep ? 'LANG=C.UTF-8\nDOCKER_REPO=10.2.0.1:5000/\n' : 'LANG=C.UTF-8\n');
    }
  });

  for (const [args, message] of [
    [['--root', 'relative/dir'], /--root "relative\/dir" must be an absolute path/],
    [['--docker-reload', 'kick'], /--docker-reload.*kick/],
    [['--prefix', 'services'], /--prefix: discovery prefix "services" must start with "\/"/],
    [['--prefer-label', 'nolabel'], /--prefer-label "nolabel" is not key=value/],
    [['--etcd', 'http://a/b'], /--etcd endpoint/],
  ] as const) {
    it(`refuses ${args.join(' ')} with one line naming the flag, exit 2`, async () => {
      const result = await agent(['run', '--once', '--etcd', etcd.endpoint, ...args]);
      expect(result.exitCode).to.equal(2);
      expect(result.stderr).to.match(message);
      expect(result.stderr.trim().split('\n')).to.have.length(1);
    });
  }
});
