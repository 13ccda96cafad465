// fleet/Dockerfile built for real by a private dockerd (from a base image made of this machine's node, since
// nothing can be pulled here), then the fleet units run by their own Exec lines, as systemd would run them:
// the registry serves and keeps its data in the host directory; the sidekick and host agent containers
// announce it and point the "host" at it (dockerd reloaded from inside a container); a unit pulls
// ${DOCKER_REPO}busybox; stopping the units (what `fleetctl destroy` does) leaves the host as it was.
// The host is a directory (hostRoot): /etc, /run and /var/lib mounts of the units land there.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  freePort,
  requireCommands,
  skopeo,
  startDockerd,
  startEtcd,
  tempDir,
  waitForHttp,
  type Dockerd,
} from '@private-registry/testbed';
import { waitForValue } from './helpers/discovery-processes.js';
import { DOCKERFILE, EXAMPLES_DIR, FLEET_DIR, loadUnit, REPO_ROOT } from './helpers/fleet-layout.js';
import { importLocalNodeImage } from './helpers/local-node-image.js';
import { UnitRunner, type UnitRunnerOptions } from './helpers/unit-runner.js';

const IMAGE = 'private-registry:e2e';
const PREFIX = '/services/docker-registry/';

describe('the registry image (fleet/Dockerfile) and the fleet units, run by a real dockerd @e2e', function () {
  this.timeout(120_000);
  let dockerd: Dockerd;
  let host: string;
  let buildSeconds = 0;

  before(async function () {
    // npm ci + tsc on two shared cores, and a full copy of the image per step on vfs: minutes, not seconds.
    this.timeout(600_000);
    requireCommands(['dockerd', 'tar', 'ldd', 'busybox', 'skopeo', 'etcd']);
    host = (await tempDir('fake-host')).path;
    await mkdir(join(host, 'run'), { recursive: true });
    // This dockerd is "the host's": its daemon.json and pidfile are where the host agent looks for them.
    dockerd = await startDockerd({ daemonJsonPath: join(host, 'etc/docker/daemon.json'), pidFile: join(host, 'run/docker.pid') });
    const base = await importLocalNodeImage(dockerd);
    const started = Date.now();
    const build = await dockerd.docker(['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${base}`, '-f', DOCKERFILE, '-t', IMAGE, REPO_ROOT], {
      env: { DOCKER_BUILDKIT: '0' },
      timeoutMs: 540_000,
    });
    buildSeconds = Math.round((Date.now() - started) / 1000);
    if (build.exitCode !== 0) throw new Error(`docker build failed (${build.exitCode}):\n${build.stdout.split('\n').slice(-40).join('\n')}\n${build.stderr}`);
  });

  after(cleanupTestbed);

  const runner = async (dir: string, name: string, options: Omit<UnitRunnerOptions, 'logDir' | 'processEnv'> & { processEnv?: Record<string, string> }): Promise<UnitRunner> =>
    new UnitRunner(loadUnit(dir, name), { ...options, processEnv: { ...dockerd.env, ...options.processEnv }, logDir: (await tempDir('unit-logs')).path });

  it('has the three commands on PATH, only production dependencies, and runs as node (uid 1000)', async () => {
    const inspect = await dockerd.docker([
      'run', '--rm', IMAGE, 'sh', '-c',
      'id -u; private-registry --version; registry-sidekick run --help >/dev/null && echo sidekick; registry-host-agent run --help >/dev/null && echo agent; ' +
        'ls /app/node_modules/typescript /app/node_modules/mocha /app/packages/testbed 2>/dev/null | wc -l; ls -ld /var/lib/registry',
    ]);
    expect(inspect.exitCode, inspect.stderr).to.equal(0);
    const [uid, version, sidekick, agent, devFiles, dataDir] = inspect.stdout.trim().split('\n');
    expect(uid).to.equal('1000');
    expect(version).to.match(/^\d+\.\d+\.\d+$/);
    expect([sidekick, agent]).to.deep.equal(['sidekick', 'agent']);
    expect(devFiles?.trim(), 'no typescript, mocha or testbed in the image').to.equal('0');
    expect(dataDir).to.match(/ node +node /);
    console.log(`      (docker build took ${buildSeconds} s)`);
  });

  it("serves /v2/ with the registry unit's own commands, keeps a pushed blob in REGISTRY_DATA across a restart, and drains on ExecStop", async () => {
    const port = await freePort();
    const data = join((await tempDir('registry-data')).path, 'var-lib-docker-registry');
    const unit = await runner(FLEET_DIR, 'docker-registry.service', {
      // What a drop-in would set. This dockerd has no bridge network: host networking stands in for -p.
      env: { REGISTRY_IMAGE: IMAGE, REGISTRY_DATA: data, REGISTRY_DOCKER_OPTS: `--network host -e REGISTRY_HTTP_ADDR=127.0.0.1:${port}` },
    });
    const base = `http://127.0.0.1:${port}`;
    const blob = Buffer.from(`a blob pushed at ${new Date().toISOString()}\n`);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

    const first = await unit.start();
    await waitForHttp(`${base}/v2/`, { timeoutMs: 30_000, process: first.main });
    const push = await fetch(`${base}/v2/e2e/unit/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    expect(push.status, await push.text()).to.equal(201);
    const stopped = await first.stop();
    expect(stopped.stop.map((r) => r.exitCode), 'ExecStop (docker stop) succeeds').to.deep.equal([0]);
    expect(stopped.exit.code, 'docker run exits 0: the registry drained and exited on SIGTERM').to.equal(0);
    expect(await first.main.readLog()).to.match(/"msg":"stopped"/);
    const left = await dockerd.docker(['ps', '-a', '--filter', 'name=^docker-registry$', '--format', '{{.Names}}']);
    expect(left.stdout.trim(), 'docker run --rm removed the container').to.equal('');

    // On the host, in distribution's layout under the directory the unit mounts.
    const hex = digest.slice('sha256:'.length);
    expect(existsSync(join(data, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'))).to.equal(true);

    // A second start (ExecStartPre removes a stale container, install -d keeps the data) serves the same blob.
    const second = await unit.start();
    await waitForHttp(`${base}/v2/`, { timeoutMs: 30_000, process: second.main });
    const pulled = await fetch(`${base}/v2/e2e/unit/blobs/${digest}`);
    expect(pulled.status).to.equal(200);
    expect(Buffer.from(await pulled.arrayBuffer()).equals(blob)).to.equal(true);
    expect((await second.stop()).exit.code).to.equal(0);
  });

  it('announces the registry, points the host at it and lets a unit pull ${DOCKER_REPO}busybox; stopping the units leaves the host as it was', async function () {
    this.timeout(240_000);
    const etcd = await startEtcd();
    const port = await freePort();
    const repo = `127.0.0.1:${port}`;
    // CoreOS writes COREOS_PRIVATE_IPV4; REGISTRY_PORT here moves the registry and the sidekick together.
    const environment = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCOREOS_PRIVATE_IPV4=127.0.0.1\nREGISTRY_PORT=${port}\n`;
    await writeFile(join(host, 'etc/environment'), environment);
    await writeFile(join(host, 'etc/machine-id'), 'e2e00000000000000000000000000001\n');
    const daemonJsonBefore = await readFile(join(host, 'etc/docker/daemon.json'), 'utf8');
    const common = { hostRoot: host, environmentFile: join(host, 'etc/environment'), processEnv: { ETCD_ENDPOINTS: etcd.endpoint } };

    const registry = await runner(FLEET_DIR, 'docker-registry.service', {
      ...common,
      env: { REGISTRY_IMAGE: IMAGE, REGISTRY_DATA: join(host, 'var/lib/docker-registry'), REGISTRY_DOCKER_OPTS: `--network host -e REGISTRY_HTTP_ADDR=${repo}` },
    });
    const sidekick = await runner(FLEET_DIR, 'docker-registry-sidekick.service', { ...common, env: { REGISTRY_IMAGE: IMAGE } });
    const discovery = await runner(FLEET_DIR, 'docker-registry-discovery.service', { ...common, env: { REGISTRY_IMAGE: IMAGE } });
    const hello = await runner(EXAMPLES_DIR, 'hello.service', common);

    const keys = async (): Promise<string> => assertSucceeded(await etcd.etcdctl(['get', '--prefix', PREFIX, '--keys-only'])).stdout.trim();
    const mirrors = async (): Promise<string[]> =>
      JSON.parse(assertSucceeded(await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).stdout) as string[];
    const dockerRepo = async (): Promise<string | null> => /^DOCKER_REPO=(.*)$/m.exec(await readFile(join(host, 'etc/environment'), 'utf8'))?.[1] ?? null;

    // fleetctl start fleet/docker-registry*
    const registryUnit = await registry.start();
    await waitForHttp(`http://${repo}/v2/`, { timeoutMs: 30_000, process: registryUnit.main });
    const busybox = await buildBusyboxImage(join((await tempDir('busybox')).path, 'layout'), { extraFileContent: 'pulled by hello.service' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', busybox.ref, `docker://${repo}/busybox:latest`]));
    const sidekickUnit = await sidekick.start();
    await waitForValue(keys, `${PREFIX}${repo}`, 45_000, 'the sidekick container announces 127.0.0.1:<port> through the host network');
    const discoveryUnit = await discovery.start();
    await waitForValue(dockerRepo, `${repo}/`, 45_000, 'DOCKER_REPO in the host /etc/environment');
    await waitForValue(mirrors, [`http://${repo}/`], 20_000, "dockerd's mirrors, reloaded by SIGHUP from the agent's container");

    // A unit of the user's: pulls ${DOCKER_REPO}busybox, i.e. from our registry.
    const helloUnit = await hello.start();
    await helloUnit.main.waitForLog(/hello from /, { timeoutMs: 45_000 });
    assertSucceeded(await dockerd.docker(['image', 'inspect', `${repo}/busybox:latest`]));
    expect((await helloUnit.stop()).exit.code, 'hello stops cleanly (its sh traps SIGTERM)').to.equal(0);

    // fleetctl destroy fleet/docker-registry*: every unit stopped (the sidekick before the registry: BindsTo/After).
    const discoveryStop = await discoveryUnit.stop();
    expect(discoveryStop.exit.code, 'the agent exits 0 after cleaning up').to.equal(0);
    expect(await readFile(join(host, 'etc/environment'), 'utf8'), '/etc/environment as it was').to.equal(environment);
    expect(await mirrors(), "dockerd's mirrors cleared by the agent's last reload").to.deep.equal([]);
    const daemonJsonAfter = JSON.parse(await readFile(join(host, 'etc/docker/daemon.json'), 'utf8')) as Record<string, unknown>;
    expect({ ...daemonJsonAfter, 'registry-mirrors': undefined, 'insecure-registries': undefined }).to.deep.equal({
      ...(JSON.parse(daemonJsonBefore) as Record<string, unknown>),
      'registry-mirrors': undefined,
      'insecure-registries': undefined,
    });
    expect(daemonJsonAfter['registry-mirrors'] ?? []).to.deep.equal([]);
    expect(existsSync(join(host, 'etc/containerd/certs.d/docker.io/hosts.toml')), 'containerd hosts.toml removed').to.equal(false);
    expect(existsSync(join(host, 'etc/containers/registries.conf.d/50-registry-host-agent.conf')), 'podman drop-in removed').to.equal(false);
    expect(existsSync(join(host, 'var/lib/registry-host-agent/state.json')), "the agent's record stayed on the host").to.equal(true);

    const sidekickStop = await sidekickUnit.stop();
    expect(sidekickStop.exit.code).to.equal(0);
    expect(await keys(), 'the lease is revoked at once, not left to expire').to.equal('');
    expect((await registryUnit.stop()).exit.code).to.equal(0);
    const left = await dockerd.docker(['ps', '-a', '--format', '{{.Names}}']);
    expect(left.stdout.trim(), 'no container left behind').to.equal('');
  });
});
