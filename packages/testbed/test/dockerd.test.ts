// A private dockerd pulls from the reference registry, runs busybox, reloads its mirrors on SIGHUP, and
// leaves nothing behind when stopped.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  containerdPid,
  isAlive,
  mountsUnder,
  pidsUsingDirectory,
  skopeo,
  startDockerd,
  startReferenceRegistry,
  tempDir,
  type Dockerd,
  type ReferenceRegistry,
} from '../src/index.js';

interface DockerInfo {
  RegistryConfig: { Mirrors: string[] | null; InsecureRegistryCIDRs: string[]; IndexConfigs: Record<string, { Secure: boolean }> };
  Driver: string;
}

describe('a private dockerd @e2e', () => {
  let registry: ReferenceRegistry;
  let dockerd: Dockerd;

  before(async () => {
    registry = await startReferenceRegistry();
    const work = await tempDir('dockerd-images');
    const image = await buildBusyboxImage(join(work.path, 'busybox'));
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/busybox:latest`]));
    dockerd = await startDockerd({ insecureRegistries: [registry.host] });
  });
  after(cleanupTestbed);

  it('runs on vfs with the registry on 127.0.0.1 treated as insecure', async () => {
    const info = JSON.parse(assertSucceeded(await dockerd.docker(['info', '--format', '{{json .}}'])).stdout) as DockerInfo;
    expect(info.Driver).to.equal('vfs');
    expect(info.RegistryConfig.IndexConfigs[registry.host]?.Secure).to.equal(false);
    // Even without insecure-registries, dockerd talks plain http to 127.0.0.0/8.
    expect(info.RegistryConfig.InsecureRegistryCIDRs).to.include('127.0.0.0/8');
  });

  it('pulls busybox from the reference registry and runs it', async () => {
    const image = `${registry.host}/busybox:latest`;
    assertSucceeded(await dockerd.docker(['pull', image]));

    const run = assertSucceeded(await dockerd.docker(['run', '--rm', image, '/bin/busybox', 'echo', 'hi']));

    expect(run.stdout.trim()).to.equal('hi');
  });

  it('pulls through a registry mirror added to daemon.json and reloaded with SIGHUP', async () => {
    await dockerd.writeDaemonJson({ 'registry-mirrors': [registry.url] });
    await dockerd.reload();

    const info = JSON.parse(assertSucceeded(await dockerd.docker(['info', '--format', '{{json .}}'])).stdout) as DockerInfo;
    expect(info.RegistryConfig.Mirrors).to.deep.equal([`${registry.url}/`]);
    // busybox = docker.io/library/busybox, which only the mirror can serve here; it has library/busybox.
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${registry.host}/busybox:latest`, `docker://${registry.host}/library/busybox:latest`]));
    assertSucceeded(await dockerd.docker(['pull', 'busybox:latest']));
    const mirrored = (await registry.accessLog()).filter((e) => e.path === '/v2/library/busybox/manifests/latest');
    expect(mirrored.length).to.be.greaterThan(0);
  });

  it('stops dockerd, containerd and running containers, and removes its directory', async () => {
    assertSucceeded(await dockerd.docker(['run', '-d', `${registry.host}/busybox:latest`, '/bin/busybox', 'sleep', '300']));
    const containerd = containerdPid(dockerd.dataDir);
    expect(containerd).to.be.a('number');

    await dockerd.stop();

    expect(isAlive(dockerd.pid)).to.equal(false);
    expect(isAlive(containerd ?? 0)).to.equal(false);
    expect(pidsUsingDirectory(dockerd.dataDir)).to.deep.equal([]);
    expect(mountsUnder(dockerd.dataDir)).to.deep.equal([]);
    expect(existsSync(dockerd.dataDir)).to.equal(false);
  });
});
