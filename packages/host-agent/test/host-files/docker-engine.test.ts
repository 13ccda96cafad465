// The docker and containerd writers against the real engine: a testbed dockerd whose daemon.json and pidfile
// live under our root, reloaded with SIGHUP, and that dockerd's own containerd driven with ctr.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  isAlive,
  logSize,
  requireCommands,
  runCommand,
  skopeo,
  startDockerd,
  startRegistryProcess,
  tempDir,
  type BuiltImage,
  type CommandResult,
  type Dockerd,
  type RegistryProcess,
} from '@private-registry/testbed';
import { ContainerdHostsWriter } from '../../src/host-files/containerd-hosts.js';
import { DockerDaemonJsonWriter } from '../../src/host-files/docker-daemon-json.js';
import { reloadDocker } from '../../src/host-files/docker-reload.js';
import type { WriterRecord } from '../../src/host-files/host-file-writer.js';
import { HostRoot } from '../../src/host-files/host-root.js';
import { mirrorTargetFor, type MirrorTarget } from '../../src/host-files/mirror-target.js';
import { eventually, registryRequestsSince } from './host-files-fixtures.js';

describe('the docker and containerd writers with a real engine @e2e', function () {
  this.timeout(90_000);
  let registry: RegistryProcess;
  let image: BuiltImage;
  let root: HostRoot;
  let dockerd: Dockerd;
  let target: MirrorTarget;

  before(async function () {
    requireCommands(['dockerd', 'ctr', 'skopeo', 'umoci']);
    registry = await startRegistryProcess();
    const work = (await tempDir('host-files-engine')).path;
    image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'served by our mirror' });
    // What `docker pull busybox` asks a mirror for: docker.io/library/busybox:latest.
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/library/busybox:latest`]));
    root = new HostRoot(join(work, 'host'));
    dockerd = await startDockerd({ daemonJsonPath: root.path('/etc/docker/daemon.json'), pidFile: root.path('/var/run/docker.pid') });
    target = mirrorTargetFor({ scheme: 'http', host: '127.0.0.1', port: registry.port });
  });
  after(cleanupTestbed);

  async function mirrorsDockerdUses(): Promise<string[]> {
    const info = assertSucceeded(await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}']));
    return (JSON.parse(info.stdout) as string[] | null) ?? [];
  }

  describe('dockerd', function () {
    const writer = (): DockerDaemonJsonWriter => new DockerDaemonJsonWriter({ root });
    let record: WriterRecord | undefined;

    it('takes our registry as its mirror on SIGHUP, without a restart, and pulls busybox from it', async function () {
      const outcome = await writer().apply(target, undefined);
      record = outcome.record;
      expect(outcome.changed).to.equal(true);

      await reloadDocker('signal', { root });

      expect(await eventually(mirrorsDockerdUses, (m) => m.length > 0)).to.deep.equal([`${target.url}/`]);
      expect(Number((await readFile(root.path('/var/run/docker.pid'), 'utf8')).trim())).to.equal(dockerd.pid);
      expect(isAlive(dockerd.pid)).to.equal(true);
      // The testbed's own keys (vfs, no iptables) survived the merge: dockerd would not have reloaded otherwise.
      expect(JSON.parse(await readFile(dockerd.daemonJsonPath, 'utf8'))).to.deep.include({ 'storage-driver': 'vfs', iptables: false });

      const offset = await logSize(registry.process.logFile);
      // No internet here: only our registry can have answered.
      assertSucceeded(await dockerd.docker(['pull', 'busybox'], { timeoutMs: 60_000 }));

      const requests = await registryRequestsSince(registry.process.logFile, offset);
      expect(requests.some((r) => r.url.startsWith('/v2/library/busybox/manifests/latest') && r.status === 200), JSON.stringify(requests)).to.equal(true);
      const run = assertSucceeded(await dockerd.docker(['run', '--rm', 'busybox', 'cat', '/testbed/content.txt']));
      expect(run.stdout).to.equal('served by our mirror');
    });

    it('drops our mirror on removal and SIGHUP: the mirror list is empty and busybox no longer comes from us', async function () {
      const outcome = await writer().apply(null, record);
      expect(outcome.changed).to.equal(true);

      await reloadDocker('signal', { root });

      expect(await eventually(mirrorsDockerdUses, (m) => m.length === 0)).to.deep.equal([]);
      expect(JSON.parse(await readFile(dockerd.daemonJsonPath, 'utf8'))).to.deep.include({ 'registry-mirrors': [], 'insecure-registries': [] });
      assertSucceeded(await dockerd.docker(['rmi', 'busybox']));
      const offset = await logSize(registry.process.logFile);
      // Fails without internet, or comes from Docker Hub with it: either way not from our registry.
      await dockerd.docker(['pull', 'busybox'], { timeoutMs: 60_000 });
      expect(await registryRequestsSince(registry.process.logFile, offset)).to.deep.equal([]);
      expect(dockerd.pid).to.satisfy(isAlive);
    });
  });

  describe('containerd', function () {
    const writer = (): ContainerdHostsWriter => new ContainerdHostsWriter({ root });

    // dockerd's own containerd, in a namespace of our own, told where the hosts dir is (as its
    // config_path would tell the CRI plugin).
    function ctrFetch(): Promise<CommandResult> {
      const address = join(dockerd.dataDir, 'exec', 'containerd', 'containerd.sock');
      const hostsDir = root.path('/etc/containerd/certs.d');
      return runCommand('ctr', ['--address', address, '--namespace', 'host-agent-test', 'content', 'fetch', '--hosts-dir', hostsDir, 'docker.io/library/busybox:latest'], { timeoutMs: 60_000 });
    }

    it('resolves and fetches docker.io/library/busybox from our registry through hosts.toml, and not after removal', async function () {
      const added = await writer().apply(target, undefined);
      const offset = await logSize(registry.process.logFile);

      assertSucceeded(await ctrFetch());

      const requests = await registryRequestsSince(registry.process.logFile, offset);
      // containerd marks what it asks a mirror for with ?ns=docker.io; the tag was resolved here.
      const resolved = requests.filter((r) => r.url === '/v2/library/busybox/manifests/latest?ns=docker.io' && r.status === 200);
      expect(resolved, JSON.stringify(requests)).to.not.be.empty;

      await writer().apply(null, added.record);
      const afterRemoval = await logSize(registry.process.logFile);
      await ctrFetch();
      expect(await registryRequestsSince(registry.process.logFile, afterRemoval)).to.deep.equal([]);
    });
  });
});
