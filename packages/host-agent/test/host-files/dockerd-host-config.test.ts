// The agent against real dockerds configured the ways hosts are: mirrors set by flags (DOCKER_OPTS), no
// daemon.json at all, and a daemon.json that makes dockerd refuse its reload. dockerd reads the host's
// /etc/docker/daemon.json here (its own mount namespace binds <root>/etc/docker there), so "no file" is real,
// and every check ends with a dockerd restart: the host must be left as it was and dockerd must start.
import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeRegistryRecord, type RegistryRecord } from '@private-registry/core';
import { cleanupTestbed, freePort, hostFilesSnapshot, ourCliPath, requireCommands, runCommand, startDockerd, startEtcd, startProcess, tempDir, type Dockerd, type Etcd, type ManagedProcess } from '@private-registry/testbed';

const CLI = ourCliPath('host-agent');
const PREFIX = '/services/docker-registry/';

interface Host {
  root: string;
  dockerd: Dockerd;
}

describe('the host agent with dockerd configured as hosts configure it @e2e', function () {
  this.timeout(120_000);
  let etcd: Etcd;
  let registry: RegistryRecord;

  before(async () => {
    requireCommands(['dockerd', 'unshare', 'etcd']);
    etcd = await startEtcd();
    const port = await freePort();
    registry = { id: `127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, scheme: 'http', host: '127.0.0.1', port, hostname: 'reg', version: '1', startedAt: '2026-12-03T00:00:00Z' };
    await etcd.etcdctl(['put', `${PREFIX}${registry.id}`, serializeRegistryRecord(registry)]);
  });
  after(cleanupTestbed);

  async function startHost(name: string, extraArgs: string[] = [], daemonJson?: string): Promise<Host> {
    const root = (await tempDir(name)).path;
    await mkdir(join(root, 'etc/docker'), { recursive: true });
    await writeFile(join(root, 'etc/environment'), 'LANG=C.UTF-8\n');
    if (daemonJson !== undefined) await writeFile(join(root, 'etc/docker/daemon.json'), daemonJson);
    const dockerd = await startDockerd({
      etcDockerDir: join(root, 'etc/docker'),
      pidFile: join(root, 'var/run/docker.pid'),
      socketPath: join(root, 'var/run/docker.sock'),
      extraArgs,
    });
    return { root, dockerd };
  }

  const startAgent = (host: Host, extra: string[] = []): Promise<ManagedProcess> =>
    startProcess({
      command: process.execPath,
      args: [CLI, 'run', '--etcd', etcd.endpoint, '--root', host.root, '--hostname', 'h', '--machine-id', 'm', '--address', '10.8.8.8', '--docker-reload', 'signal', '--no-containerd', '--no-podman', ...extra],
      logFile: join(host.root, 'agent.log'),
      env: { ETCD_ENDPOINTS: undefined },
    });


  async function live(dockerd: Dockerd): Promise<{ mirrors: string[]; insecure: string[] }> {
    const info = await dockerd.docker(['info', '--format', '{{json .RegistryConfig}}']);
    const config = JSON.parse(info.stdout) as { Mirrors: string[] | null; IndexConfigs: Record<string, { Secure: boolean }> };
    return { mirrors: config.Mirrors ?? [], insecure: Object.entries(config.IndexConfigs).filter(([, c]) => !c.Secure).map(([n]) => n).sort() };
  }

  const status = async (host: Host): Promise<{ files: { docker: Record<string, unknown> }; applied: { errors?: Record<string, string> } }> => {
    const result = await runCommand(process.execPath, [CLI, 'status', '--etcd', etcd.endpoint, '--root', host.root, '--hostname', 'h', '--machine-id', 'm', '--no-containerd', '--no-podman'], { env: { ETCD_ENDPOINTS: undefined } });
    expect(result.exitCode, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as { files: { docker: Record<string, unknown> }; applied: { errors?: Record<string, string> } };
  };

  it('leaves registry-mirrors and insecure-registries to a dockerd that sets them by flags, says so, and dockerd restarts cleanly after', async () => {
    const host = await startHost('flags-host', ['--registry-mirror', 'https://mirror.example.com', '--insecure-registry', '10.77.0.0/16']);
    const before = await hostFilesSnapshot(host.root);
    const agent = await startAgent(host);
    await agent.waitForLog('registry chosen', { timeoutMs: 15_000 });
    expect(await agent.readLog()).to.match(/left daemon.json keys alone: dockerd sets them with flags/);
    const report = await status(host);
    expect(report.files.docker['skipped']).to.deep.equal({
      'registry-mirrors': `left alone: dockerd sets it with --registry-mirror in dockerd's command line (pid ${host.dockerd.pid})`,
      'insecure-registries': `left alone: dockerd sets it with --insecure-registry in dockerd's command line (pid ${host.dockerd.pid})`,
    });
    expect(report.applied.errors).to.equal(undefined);
    // DOCKER_REPO is written all the same; daemon.json is not created.
    expect(await readFile(join(host.root, 'etc/environment'), 'utf8')).to.equal(`LANG=C.UTF-8\nDOCKER_REPO=${registry.id}/\n`);
    expect(await readFile(join(host.root, 'etc/docker/daemon.json'), 'utf8').catch(() => 'absent')).to.equal('absent');
    await host.dockerd.reload();

    expect((await agent.stop({ signal: 'SIGTERM' })).code).to.equal(0);
    expect(await hostFilesSnapshot(host.root)).to.deep.equal(before);
    await host.dockerd.restart();
    expect(await live(host.dockerd)).to.deep.equal({ mirrors: ['https://mirror.example.com/'], insecure: [] });
  });

  it('leaves a host without daemon.json without one: the mirror live while chosen, cleared at stop, and dockerd restarts with none', async () => {
    const host = await startHost('bare-host');
    const before = await hostFilesSnapshot(host.root);
    const agent = await startAgent(host);
    await agent.waitForLog('dockerd reloaded: the mirror configuration is live', { timeoutMs: 15_000 });
    expect(await live(host.dockerd)).to.deep.equal({ mirrors: [`${registry.url}/`], insecure: [registry.id] });

    expect((await agent.stop({ signal: 'SIGTERM' })).code).to.equal(0);
    const log = await agent.readLog();
    expect(log, 'the [] step was reloaded and checked before the file went').to.match(/dockerd reloaded: the mirror configuration is live[\s\S]*"msg":"restored"/);
    expect(await live(host.dockerd), 'cleared without a restart').to.deep.equal({ mirrors: [], insecure: [] });
    expect(await hostFilesSnapshot(host.root)).to.deep.equal(before);
    expect(Object.keys(before)).to.not.include('etc/docker/daemon.json');
    await host.dockerd.restart();
    expect(await live(host.dockerd)).to.deep.equal({ mirrors: [], insecure: [] });
  });

  it('reports a reload that did not take (dockerd refused its daemon.json), counts it, and retries until it takes', async () => {
    const metricsPort = await freePort();
    const host = await startHost('refusing-host', ['--debug'], '{}\n');
    // An operator's edit dockerd will refuse: "debug" set both as a flag and in the file.
    await writeFile(join(host.root, 'etc/docker/daemon.json'), '{\n  "debug": true\n}\n');
    const agent = await startAgent(host, ['--metrics-addr', `127.0.0.1:${metricsPort}`]);
    await agent.waitForLog('dockerd reload did not take', { timeoutMs: 20_000 });
    let report = await status(host);
    for (let i = 0; i < 50 && report.applied.errors === undefined; i++) report = await status(host);
    expect(report.applied.errors?.['docker']).to.match(/^dockerd reload did not take: dockerd's mirrors are \[\], without http:\/\/127\.0\.0\.1:\d+ first/);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(Number(/^registry_host_agent_docker_reload_failures_total (\d+)$/m.exec(metrics)?.[1])).to.be.at.least(1);

    // The operator fixes the file (keeping our entries): the next retry takes.
    const fixed = JSON.parse(await readFile(join(host.root, 'etc/docker/daemon.json'), 'utf8')) as Record<string, unknown>;
    delete fixed['debug'];
    await writeFile(join(host.root, 'etc/docker/daemon.json'), JSON.stringify(fixed));
    await agent.waitForLog('dockerd reloaded: the mirror configuration is live', { timeoutMs: 20_000 });
    expect(await live(host.dockerd)).to.deep.include({ mirrors: [`${registry.url}/`] });
    expect((await status(host)).applied.errors).to.equal(undefined);
    expect((await agent.stop({ signal: 'SIGTERM' })).code).to.equal(0);
  });
});
