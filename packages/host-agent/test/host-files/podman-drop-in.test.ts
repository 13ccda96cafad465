// The containers drop-in writer against real podman (the testbed's isolated environment): with the drop-in in
// place a plain docker.io pull is served by our registry; without it, podman never asks us.
import { expect } from 'chai';
import { join, relative } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  logSize,
  podman,
  podmanEnv,
  requireCommands,
  skopeo,
  startRegistryProcess,
  tempDir,
  type BuiltImage,
  type PodmanEnv,
  type RegistryProcess,
} from '@private-registry/testbed';
import { ContainersRegistriesWriter } from '../../src/host-files/containers-registries.js';
import { HostRoot } from '../../src/host-files/host-root.js';
import { mirrorTargetFor } from '../../src/host-files/mirror-target.js';
import { registryRequestsSince } from './host-files-fixtures.js';

describe('the containers drop-in writer with real podman @e2e', function () {
  this.timeout(90_000);
  let registry: RegistryProcess;
  let image: BuiltImage;
  let environment: PodmanEnv;

  before(async function () {
    requireCommands(['podman', 'skopeo', 'umoci']);
    registry = await startRegistryProcess();
    const work = (await tempDir('host-files-podman')).path;
    image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'podman via the drop-in' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/library/busybox:latest`]));
    environment = await podmanEnv(join(work, 'podman'));
  });
  after(cleanupTestbed);

  it('pulls docker.io/library/busybox from our registry while the drop-in is there, and not after removal', async function () {
    // podman reads drop-ins from /etc/containers/registries.conf.d and from $HOME/.config/containers/
    // registries.conf.d, which the testbed points into its directory. A symlink to the writer's default
    // directory is not enough (podman 4.3 does not descend into a symlinked drop-in directory: checked with
    // --log-level=debug), so the writer writes there directly: root = the podman directory, path = the
    // drop-in under $HOME.
    const root = new HostRoot(environment.dir);
    const dropIn = `/${relative(environment.dir, environment.registriesConfDir)}/50-registry-host-agent.conf`;
    const writer = new ContainersRegistriesWriter({ root, path: dropIn });
    const target = mirrorTargetFor({ scheme: 'http', host: '127.0.0.1', port: registry.port });
    const added = await writer.apply(target, undefined);
    expect(added.files).to.deep.equal([join(environment.registriesConfDir, '50-registry-host-agent.conf')]);
    const offset = await logSize(registry.process.logFile);

    assertSucceeded(await podman(['pull', 'docker.io/library/busybox'], { root: environment.dir, timeoutMs: 60_000 }));

    const requests = await registryRequestsSince(registry.process.logFile, offset);
    expect(requests.some((r) => r.url.startsWith('/v2/library/busybox/manifests/') && r.status === 200), JSON.stringify(requests)).to.equal(true);
    const digest = assertSucceeded(await podman(['image', 'inspect', '--format', '{{.Digest}}', 'docker.io/library/busybox'], { root: environment.dir }));
    expect(digest.stdout.trim()).to.equal(image.manifestDigest);

    const removed = await writer.apply(null, added.record);
    expect(removed.changed).to.equal(true);
    assertSucceeded(await podman(['rmi', 'docker.io/library/busybox'], { root: environment.dir }));
    const afterRemoval = await logSize(registry.process.logFile);
    // Fails without internet, or comes from Docker Hub with it: either way not from our registry.
    await podman(['pull', 'docker.io/library/busybox'], { root: environment.dir, timeoutMs: 60_000 });
    expect(await registryRequestsSince(registry.process.logFile, afterRemoval)).to.deep.equal([]);
  });
});
