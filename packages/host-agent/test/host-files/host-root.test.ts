import { expect } from 'chai';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { HostFileError } from '../../src/host-files/host-file-error.js';
import { HostRoot } from '../../src/host-files/host-root.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof HostFileError ? err.code : `not a HostFileError: ${String(err)}`;
  }
  return undefined;
}

describe('HostRoot', function () {
  after(cleanupTestbed);

  it('maps an absolute host path under the root, and leaves it as it is under /', function () {
    expect(new HostRoot('/tmp/r').path('/etc/environment')).to.equal('/tmp/r/etc/environment');
    expect(new HostRoot().path('/etc/docker/daemon.json')).to.equal('/etc/docker/daemon.json');
  });

  it('refuses relative paths and paths that climb out of the root', function () {
    const root = new HostRoot('/tmp/r');
    expect(codeOf(() => root.path('etc/environment'))).to.equal('PATH_NOT_ABSOLUTE');
    expect(codeOf(() => root.path('/../etc/shadow'))).to.equal('PATH_OUTSIDE_ROOT');
    expect(codeOf(() => root.path('/etc/../../etc/shadow'))).to.equal('PATH_OUTSIDE_ROOT');
    expect(codeOf(() => root.path('/etc/docker/..'))).to.equal('PATH_OUTSIDE_ROOT');
  });

  it('writes through a symlink inside the root but refuses one that points outside it', async function () {
    const dir = (await tempDir('host-root')).path;
    const outside = (await tempDir('host-root-outside')).path;
    const root = new HostRoot(dir);
    await mkdir(join(dir, 'etc', 'docker'), { recursive: true });
    await mkdir(join(dir, 'managed'), { recursive: true });
    await writeFile(join(dir, 'managed', 'daemon.json'), '{}');
    await symlink(join(dir, 'managed', 'daemon.json'), join(dir, 'etc', 'docker', 'daemon.json'));
    await symlink(join(outside, 'environment'), join(dir, 'etc', 'environment'));
    await writeFile(join(outside, 'environment'), '');

    expect(await root.writablePath('/etc/docker/daemon.json')).to.equal(join(dir, 'managed', 'daemon.json'));
    expect(await root.writablePath('/etc/containerd/hosts.toml')).to.equal(join(dir, 'etc', 'containerd', 'hosts.toml'));
    const escaped = await root.writablePath('/etc/environment').then(
      () => undefined,
      (err: unknown) => (err as HostFileError).code,
    );
    expect(escaped).to.equal('PATH_OUTSIDE_ROOT');
    expect(dirname(await root.writablePath('/etc/environment2'))).to.equal(join(dir, 'etc'));
  });
});
