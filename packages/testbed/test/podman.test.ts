// podman, isolated in a temp dir, pulls from and runs images of the reference registry, and follows a
// registries.conf.d mirror drop-in.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildMultiArchIndex,
  cleanupTestbed,
  mountsUnder,
  pidsUsingDirectory,
  podman,
  podmanEnv,
  skopeo,
  startReferenceRegistry,
  tempDir,
  type ReferenceRegistry,
} from '../src/index.js';

describe('podman in an isolated root @e2e', () => {
  let registry: ReferenceRegistry;
  let root: string;

  before(async () => {
    registry = await startReferenceRegistry();
    const work = await tempDir('podman-images');
    const multi = await buildMultiArchIndex(join(work.path, 'multi'), ['amd64', 'arm64']);
    assertSucceeded(await skopeo(['copy', '--all', '--dest-tls-verify=false', multi.ref, `docker://${registry.host}/busybox:latest`]));
    root = (await tempDir('podman')).path;
  });
  after(cleanupTestbed);

  it('pulls the multi-arch image and runs busybox echo', async () => {
    const image = `${registry.host}/busybox:latest`;
    assertSucceeded(await podman(['pull', '--tls-verify=false', image], { root }));

    const run = assertSucceeded(await podman(['run', '--rm', image, '/bin/busybox', 'echo', 'hello'], { root }));

    expect(run.stdout.trim()).to.equal('hello');
    expect(existsSync(join(root, 'storage', 'vfs'))).to.equal(true);
  });

  it('pushes with --tls-verify=false', async () => {
    const image = `${registry.host}/busybox:latest`;
    const target = `${registry.host}/pushed/busybox:copy`;
    assertSucceeded(await podman(['tag', image, target], { root }));

    assertSucceeded(await podman(['push', '--tls-verify=false', target], { root }));

    const tags = assertSucceeded(await skopeo(['list-tags', '--tls-verify=false', `docker://${registry.host}/pushed/busybox`]));
    expect(JSON.parse(tags.stdout)).to.have.deep.property('Tags', ['copy']);
  });

  it('pulls through a mirror written as a registries.conf.d drop-in', async () => {
    const environment = await podmanEnv(root);
    await writeFile(
      join(environment.registriesConfDir, 'mirror.conf'),
      `[[registry]]\nlocation = "registry.invalid"\n[[registry.mirror]]\nlocation = "${registry.host}"\ninsecure = true\n`,
    );

    const manifestGets = async (): Promise<number> =>
      (await registry.accessLog()).filter((e) => e.method === 'GET' && e.path === '/v2/busybox/manifests/latest').length;
    const before = await manifestGets();

    assertSucceeded(await podman(['pull', 'registry.invalid/busybox:latest'], { root }));

    expect(await manifestGets()).to.be.greaterThan(before);
  });

  it('leaves no container, process or mount in its root once the test bed is cleaned up', async () => {
    assertSucceeded(await podman(['run', '-d', `${registry.host}/busybox:latest`, '/bin/busybox', 'sleep', '300'], { root }));
    expect(pidsUsingDirectory(root)).to.not.deep.equal([]);

    await cleanupTestbed();


    expect(pidsUsingDirectory(root)).to.deep.equal([]);
    expect(mountsUnder(root)).to.deep.equal([]);
    expect(existsSync(root)).to.equal(false);
  });
});
