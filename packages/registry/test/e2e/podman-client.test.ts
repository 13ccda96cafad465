// podman (isolated in a temp dir by the testbed) pulls from, runs from and pushes to our registry.
import { expect } from 'chai';
import { join } from 'node:path';
import { assertSucceeded, buildBusyboxImage, cleanupTestbed, podman, skopeo, tempDir, type BuiltImage } from '@private-registry/testbed';
import { randomToken, startRegistryUnderTest, uniqueRepository, type RegistryUnderTest } from './registry-under-test.js';

describe('podman pulling from and pushing to our registry @e2e', function () {
  this.timeout(120_000);
  let registry: RegistryUnderTest;
  let root: string;
  let image: BuiltImage;
  let pushedRef: string;

  before(async function () {
    registry = await startRegistryUnderTest();
    const work = await tempDir('podman-e2e');
    image = await buildBusyboxImage(join(work.path, 'busybox'), { extraFileContent: 'podman e2e' });
    pushedRef = `${registry.host}/${uniqueRepository('podman-busybox')}:latest`;
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${pushedRef}`]));
    root = (await tempDir('podman-root')).path;
  });
  after(cleanupTestbed);

  it('pulls an image pushed with skopeo and runs busybox echo from it', async function () {
    assertSucceeded(await podman(['pull', '--tls-verify=false', pushedRef], { root }));
    const token = randomToken();

    const run = assertSucceeded(await podman(['run', '--rm', pushedRef, '/bin/busybox', 'echo', token], { root }));

    expect(run.stdout.trim()).to.equal(token);
    const digest = assertSucceeded(await podman(['image', 'inspect', '--format', '{{.Digest}}', pushedRef], { root }));
    expect(digest.stdout.trim()).to.equal(image.manifestDigest);
  });

  it('pushes a retagged image to a new repository and pulls it back after podman rmi', async function () {
    assertSucceeded(await podman(['pull', '--tls-verify=false', pushedRef], { root }));
    const repository = uniqueRepository('podman-pushed');
    const target = `${registry.host}/${repository}:v1`;
    assertSucceeded(await podman(['tag', pushedRef, target], { root }));

    assertSucceeded(await podman(['push', '--tls-verify=false', target], { root }));

    expect(await registry.tags(repository)).to.deep.equal(['v1']);
    assertSucceeded(await podman(['rmi', '--force', target, pushedRef], { root }));
    const gone = await podman(['image', 'exists', target], { root });
    expect(gone.exitCode, 'image still in local storage after rmi').to.equal(1);

    assertSucceeded(await podman(['pull', '--tls-verify=false', target], { root }));
    const token = randomToken();
    const run = assertSucceeded(await podman(['run', '--rm', target, '/bin/busybox', 'cat', '/testbed/content.txt'], { root }));
    expect(run.stdout).to.equal('podman e2e');
    const echo = assertSucceeded(await podman(['run', '--rm', target, '/bin/busybox', 'echo', token], { root }));
    expect(echo.stdout.trim()).to.equal(token);
  });
});
