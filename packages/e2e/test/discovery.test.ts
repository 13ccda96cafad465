// The whole discovery loop with real components, each a separate process: etcd, our registry, its sidekick,
// three host agents (each with its own --root and identity, as three hosts would be) and a real dockerd whose
// daemon.json is the one agent 0 writes. What a user would see: DOCKER_REPO appears and goes, dockerd pulls
// `busybox` through the registry without a restart, and the hosts fall back cleanly.
import { expect } from 'chai';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  readLogText,
  skopeo,
  startDockerd,
  startEtcd,
  startRegistryProcess,
  tempDir,
  type Dockerd,
  type Etcd,
  type RegistryProcess,
} from '@private-registry/testbed';
import { chooseRegistry, parseRegistryRecord, type RegistryRecord } from './helpers/discovery-api.js';
import { PREFIX, startHostAgent, startSidekick, waitForValue, type HostAgentProcess, type SidekickProcess } from './helpers/discovery-processes.js';

const TTL_SECONDS = 3;
/**
 * A host back on a registry after it was clean, with the default damping: the sidekick announces a registry
 * that comes back after 10 good probes a second apart (--healthy-after), and an agent leaves "none" only once
 * it has stood for 10 s (--dwell); plus the usual latency and a loaded CI machine.
 */
const RETURN_MS = 25_000;
const BASE_ENVIRONMENT = (i: number): string => `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\n# kept by the agent\nCOREOS_PRIVATE_IPV4=10.99.0.${i + 1}\n`;

interface HostView {
  dockerRepo: string | null;
  mirrors: string[];
  /** The mirror host in containerd's hosts.toml; null when the file is absent. */
  containerd: string | null;
  /** How many podman drop-ins there are. */
  podman: number;
}

interface RequestLine {
  msg?: string;
  method?: string;
  url?: string;
  status?: number;
}

describe('discovery: registry, sidekick, host agents, etcd and dockerd @e2e', function () {
  this.timeout(120_000);
  let etcd: Etcd;
  let registry: RegistryProcess;
  let sidekick: SidekickProcess;
  let dockerd: Dockerd;
  let agents: HostAgentProcess[] = [];
  let originalDaemonJson: Record<string, unknown>;
  let keeperStartedAt: string;

  const repo = (r: RegistryProcess): string => `127.0.0.1:${r.port}/`;
  const containerdHosts = (agent: HostAgentProcess): string => join(agent.root, 'etc/containerd/certs.d/docker.io/hosts.toml');
  const podmanDropIns = async (agent: HostAgentProcess): Promise<string[]> =>
    readdir(join(agent.root, 'etc/containers/registries.conf.d')).catch(() => [] as string[]);
  const dockerMirrors = async (): Promise<string[]> =>
    JSON.parse(assertSucceeded(await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).stdout) as string[];
  const keeperState = async (): Promise<string> =>
    assertSucceeded(await dockerd.docker(['inspect', '--format', '{{.State.Running}} {{.State.StartedAt}}', 'keeper'])).stdout.trim();

  async function startAnnouncedRegistry(port?: number, rootDirectory?: string): Promise<{ registry: RegistryProcess; sidekick: SidekickProcess }> {
    const r = await startRegistryProcess({ ...(port === undefined ? {} : { port }), ...(rootDirectory === undefined ? {} : { rootDirectory }) });
    const s = await startSidekick({ etcd, registryUrl: r.url, advertise: `127.0.0.1:${r.port}`, ttlSeconds: TTL_SECONDS });
    return { registry: r, sidekick: s };
  }

  /** What a user of the host sees, in one value: DOCKER_REPO, dockerd's mirrors, the containerd and podman files. */
  async function hostView(agent: HostAgentProcess): Promise<HostView> {
    const daemon = await agent.daemonJson();
    return {
      dockerRepo: (await agent.dockerRepo()) ?? null,
      mirrors: (daemon['registry-mirrors'] as string[] | undefined) ?? [],
      containerd: await readFile(containerdHosts(agent), 'utf8').then((text) => /\[host\."(http[^"]+)"\]/.exec(text)?.[1] ?? 'no host', () => null),
      podman: (await podmanDropIns(agent)).length,
    };
  }
  const pointedAt = (r: { port: number }): HostView => ({
    dockerRepo: `127.0.0.1:${r.port}/`,
    mirrors: [`http://127.0.0.1:${r.port}`],
    containerd: `http://127.0.0.1:${r.port}`,
    podman: 1,
  });
  const CLEAN: HostView = { dockerRepo: null, mirrors: [], containerd: null, podman: 0 };
  const allViews = (): Promise<HostView[]> => Promise.all(agents.map(hostView));
  const every = (view: HostView): HostView[] => agents.map(() => view);

  async function expectCleanHost(agent: HostAgentProcess, index: number): Promise<void> {
    expect(await hostView(agent)).to.deep.equal(CLEAN);
    expect(await agent.environment(), 'environment file back to what it was').to.equal(BASE_ENVIRONMENT(index));
    expect((await agent.daemonJson())['insecure-registries'] ?? [], 'insecure-registries').to.deep.equal([]);
  }

  before(async function () {
    etcd = await startEtcd();
    registry = await startRegistryProcess();
    const work = (await tempDir('discovery-e2e')).path;
    const image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'served by our registry' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://127.0.0.1:${registry.port}/library/busybox:latest`]));

    const root0 = (await tempDir('agent-0')).path;
    dockerd = await startDockerd({ daemonJsonPath: join(root0, 'etc/docker/daemon.json'), pidFile: join(root0, 'var/run/docker.pid') });
    originalDaemonJson = JSON.parse(await readFile(dockerd.daemonJsonPath, 'utf8')) as Record<string, unknown>;
    // A container that must survive every mirror change: a reload, never a restart.
    const archive = join(work, 'keeper.tar');
    // Its own content layer, so the busybox pull below must fetch a layer dockerd does not have yet.
    const keeperImage = await buildBusyboxImage(join(work, 'keeper'), { extraFileContent: 'keeper' });
    assertSucceeded(await skopeo(['copy', keeperImage.ref, `docker-archive:${archive}:e2e-keeper:latest`]));
    assertSucceeded(await dockerd.docker(['load', '-i', archive]));
    assertSucceeded(await dockerd.docker(['run', '-d', '--name', 'keeper', 'e2e-keeper:latest', '/bin/busybox', 'sleep', '3600']));
    keeperStartedAt = await keeperState();
    expect(keeperStartedAt).to.match(/^true /);

    agents = [
      await startHostAgent({ etcd, index: 0, root: root0, environment: BASE_ENVIRONMENT(0), extraArgs: ['--docker-reload', 'signal'] }),
      await startHostAgent({ etcd, index: 1, environment: BASE_ENVIRONMENT(1) }),
      await startHostAgent({ etcd, index: 2, environment: BASE_ENVIRONMENT(2) }),
    ];
  });
  after(cleanupTestbed);

  it('registry up: every agent writes DOCKER_REPO and the mirror, and dockerd pulls busybox through it without a restart', async function () {
    sidekick = await startSidekick({ etcd, registryUrl: registry.url, advertise: `127.0.0.1:${registry.port}`, ttlSeconds: TTL_SECONDS });

    await waitForValue(allViews, every(pointedAt(registry)), 10_000, 'every host pointed at the registry');

    for (const [i, agent] of agents.entries()) {
      expect(await agent.environment()).to.equal(`${BASE_ENVIRONMENT(i)}DOCKER_REPO=${repo(registry)}\n`);
    }
    const daemon = await agents[0]!.daemonJson();
    for (const [key, value] of Object.entries(originalDaemonJson)) expect(daemon[key], `daemon.json key ${key} kept`).to.deep.equal(value);
    await waitForValue(dockerMirrors, [`http://127.0.0.1:${registry.port}/`], 10_000, 'dockerd mirrors after the reload');

    const logOffset = await registry.process.logOffset();
    assertSucceeded(await dockerd.docker(['pull', 'busybox']));
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', 'busybox', '/bin/busybox', 'cat', '/testbed/content.txt']));
    expect(run.stdout).to.equal('served by our registry');
    const requests = (await readLogText(registry.process.logFile, logOffset))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as RequestLine);
    expect(requests.some((r) => r.url?.startsWith('/v2/library/busybox/manifests/latest') === true && r.status === 200), JSON.stringify(requests)).to.equal(true);
    expect(requests.some((r) => r.method === 'GET' && r.url?.startsWith('/v2/library/busybox/blobs/sha256:') === true && r.status === 200), 'layers pulled from our registry').to.equal(true);
    expect(await keeperState(), 'the running container was not touched').to.equal(keeperStartedAt);
    expect(dockerd.pid).to.equal(Number((await readFile(join(agents[0]!.root, 'var/run/docker.pid'), 'utf8')).trim()));
  });

  it('registry killed: the sidekick withdraws it and every host removes what its agent added, no dockerd restart', async function () {
    const killedAt = Date.now();
    await registry.kill();

    await waitForValue(allViews, every(CLEAN), (TTL_SECONDS + 2) * 1000, 'every host clean');
    const removalMs = Date.now() - killedAt;

    for (const [i, agent] of agents.entries()) await expectCleanHost(agent, i);
    await waitForValue(dockerMirrors, [], 10_000, 'dockerd mirrors after the reload');
    expect(await keeperState()).to.equal(keeperStartedAt);
    expect(removalMs).to.be.below((TTL_SECONDS + 2) * 1000);

    // The same registry back on the same address: announced again, written again.
    ({ registry } = await startAnnouncedRegistryOnSidekick(registry.port, registry.rootDirectory));
    await waitForValue(allViews, every(pointedAt(registry)), RETURN_MS, 'every host pointed at the registry again');
  });

  async function startAnnouncedRegistryOnSidekick(port: number, rootDirectory: string): Promise<{ registry: RegistryProcess }> {
    // The sidekick kept running and probing: it announces the registry again once it answers.
    return { registry: await startRegistryProcess({ port, rootDirectory }) };
  }

  it('registry and sidekick killed together: the lease expires and every host is clean within TTL + 2 s', async function () {
    await sidekick.stop('SIGKILL');
    const killedAt = Date.now();
    await registry.kill();

    await waitForValue(allViews, every(CLEAN), (TTL_SECONDS + 2) * 1000, 'every host clean after the lease expired');

    expect(Date.now() - killedAt).to.be.below((TTL_SECONDS + 2) * 1000);
    for (const [i, agent] of agents.entries()) await expectCleanHost(agent, i);
    ({ registry, sidekick } = await startAnnouncedRegistry(registry.port, registry.rootDirectory));
    await waitForValue(allViews, every(pointedAt(registry)), RETURN_MS, 'every host pointed at the registry again');
  });

  it('etcd stopped for longer than the TTL: agents keep their state; etcd back: they reconcile', async function () {
    await etcd.stop();
    await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 2) * 1000));

    expect(await allViews()).to.deep.equal(every(pointedAt(registry)));
    for (const agent of agents) expect(agent.process.isRunning()).to.equal(true);
    // While etcd is away the registry host dies for good: its lease can only expire once etcd is back.
    await sidekick.stop('SIGKILL');
    await registry.kill();
    await etcd.start();

    await waitForValue(allViews, every(CLEAN), (TTL_SECONDS + 4) * 1000, 'every host clean once etcd came back');
    for (const [i, agent] of agents.entries()) await expectCleanHost(agent, i);
    const log = await agents[1]!.process.readLog();
    expect(log.split('\n').filter((l) => l.includes('etcd unreachable')).length, 'one warning per outage, not one per attempt').to.equal(1);
  });

  it('two registries announced: each host picks one deterministically and moves when its choice disappears', async function () {
    const first = await startAnnouncedRegistry();
    const second = await startAnnouncedRegistry();
    const records = async (): Promise<RegistryRecord[]> => {
      const listed = assertSucceeded(await etcd.etcdctl(['get', '--prefix', PREFIX, '--print-value-only']));
      return listed.stdout.split('\n').filter((l) => l.startsWith('{')).map(parseRegistryRecord);
    };
    await waitForValue(async () => (await records()).length, 2, 10_000, 'two registries announced');
    const announced = await records();
    const expectedPorts = agents.map((agent) => {
      const choice = chooseRegistry(announced, { hostname: agent.hostname, machineId: agent.machineId, key: agent.machineId, addresses: [] }, { preferLocal: true });
      if (choice === null) throw new Error('no choice with two registries announced');
      return choice.record.port;
    });
    const expected = expectedPorts.map((port) => `127.0.0.1:${port}/`);
    await waitForValue(allViews, expectedPorts.map((port) => pointedAt({ port })), RETURN_MS, 'each host on its own deterministic choice');

    const chosenByAgent0 = expected[0] === repo(first.registry) ? first : second;
    const other = chosenByAgent0 === first ? second : first;
    const unaffected = agents.filter((_, i) => expected[i] !== repo(chosenByAgent0.registry));
    const untouched = await Promise.all(unaffected.map((a) => stat(join(a.root, 'etc/environment')).then((s) => s.mtimeMs)));
    await chosenByAgent0.sidekick.stop();
    await chosenByAgent0.registry.stop();

    await waitForValue(allViews, every(pointedAt(other.registry)), 10_000, 'every host on the remaining registry');
    const after = await Promise.all(unaffected.map((a) => stat(join(a.root, 'etc/environment')).then((s) => s.mtimeMs)));
    expect(after, 'hosts whose registry stayed were not rewritten').to.deep.equal(untouched);
    registry = other.registry;
    sidekick = other.sidekick;
  });

  it('SIGTERM of an agent leaves its host exactly as it found it', async function () {
    const agent = agents[1]!;
    expect(await agent.dockerRepo()).to.equal(repo(registry));

    const code = await agent.stop('SIGTERM');

    expect(code).to.equal(0);
    await expectCleanHost(agent, 1);
    // The other hosts keep their registry.
    expect(await agents[2]!.dockerRepo()).to.equal(repo(registry));
  });
});
