import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { DockerReloadError, reloadDocker } from '../../src/host-files/docker-reload.js';
import { HostRoot } from '../../src/host-files/host-root.js';

async function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: unknown) => (err instanceof DockerReloadError ? err.code : `not a DockerReloadError: ${String(err)}`),
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('reloading dockerd', function () {
  let dir: string;
  let root: HostRoot;
  const children: ChildProcess[] = [];

  beforeEach(async function () {
    dir = (await tempDir('docker-reload')).path;
    root = new HostRoot(dir);
    await mkdir(root.path('/var/run'), { recursive: true });
  });
  afterEach(function () {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });
  after(cleanupTestbed);

  it('sends SIGHUP to the pid in the rooted pidfile', async function () {
    const log = join(dir, 'signals.log');
    // A stand-in daemon that notes each SIGHUP (the real dockerd is the e2e suite's).
    const daemon = spawn('sh', ['-c', `trap 'echo hup >> ${log}' HUP; echo ready >> ${log}; while :; do sleep 0.05; done`], { stdio: 'ignore' });
    children.push(daemon);
    await until(async () => (await readFile(log, 'utf8').catch(() => '')).includes('ready'));
    await writeFile(root.path('/var/run/docker.pid'), `${daemon.pid}\n`);

    await reloadDocker('signal', { root });

    await until(async () => (await readFile(log, 'utf8')).includes('hup'));
    expect(daemon.exitCode).to.equal(null);
  });

  it('says which is wrong: no pidfile, a pidfile without a pid, a process that is gone', async function () {
    expect(await failureCode(reloadDocker('signal', { root }))).to.equal('PIDFILE_MISSING');

    await writeFile(root.path('/var/run/docker.pid'), 'dockerd\n');
    expect(await failureCode(reloadDocker('signal', { root }))).to.equal('PIDFILE_INVALID');

    const gone = spawn('true');
    await once(gone, 'exit');
    await writeFile(root.path('/var/run/docker.pid'), String(gone.pid));
    expect(await failureCode(reloadDocker('signal', { root: dir }))).to.equal('PROCESS_GONE');
  });

  it('reads the pidfile from a given path', async function () {
    await writeFile(join(dir, 'dockerd.pid'), '1\n');

    expect(await failureCode(reloadDocker('signal', { root, pidFile: '/dockerd.pid' }))).to.equal('PIDFILE_INVALID');
  });

  it('runs `systemctl reload docker`, or `restart` for engines that cannot reload', async function () {
    const calls = join(dir, 'calls.log');
    // systemd does not run here: a stand-in systemctl records how it was called.
    const systemctl = join(dir, 'systemctl');
    await writeFile(systemctl, `#!/bin/sh\necho "$@" >> ${calls}\n`);
    await chmod(systemctl, 0o755);

    await reloadDocker('systemctl', { systemctl });
    await reloadDocker('restart', { systemctl, unit: 'docker.service' });

    expect(await readFile(calls, 'utf8')).to.equal('reload docker\nrestart docker.service\n');
  });

  it('fails with COMMAND_FAILED and systemctl’s own words when it exits non-zero or is missing', async function () {
    // The real systemctl: without systemd (here) or without such a unit (elsewhere) it fails, harmlessly.
    const failed = await reloadDocker('systemctl', { unit: 'registry-host-agent-test-no-such.service' }).catch((err: unknown) => err);
    const missing = await failureCode(reloadDocker('systemctl', { systemctl: join(dir, 'no-systemctl') }));

    expect(failed).to.be.instanceOf(DockerReloadError);
    expect((failed as DockerReloadError).code).to.equal('COMMAND_FAILED');
    expect((failed as DockerReloadError).message).to.match(/systemctl reload registry-host-agent-test-no-such.service` exited \d+: \S/);
    expect(missing).to.equal('COMMAND_FAILED');
  });

  it('does nothing in mode none', async function () {
    await reloadDocker('none', { root });
  });
});
