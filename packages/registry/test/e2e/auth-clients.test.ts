// Real clients against our registry with auth on, Basic (htpasswd) and bearer tokens from the built-in
// token service: docker (a real dockerd), podman and skopeo log in, push and pull; a wrong password fails at
// login; a robot token works as a password; after `docker logout` a pull is refused.
import { expect } from 'chai';
import { join } from 'node:path';
import {
  buildBusyboxImage,
  cleanupTestbed,
  CLI_PATH,
  podman,
  runCommand,
  skopeo,
  startDockerd,
  tempDir,
  type BuiltImage,
  type CommandResult,
  type Dockerd,
} from '@private-registry/testbed';
import { startAuthRegistry, USERS, type AuthMode, type AuthRegistry } from './auth-fixture.js';
import { SecretLedger } from './auth-secrets.js';

function ok(result: CommandResult, what: string): CommandResult {
  expect(result.exitCode, `${what}\n${result.stdout}\n${result.stderr}`).to.equal(0);
  return result;
}

function failed(result: CommandResult, what: string, message: RegExp): void {
  expect(result.exitCode, `${what} should fail\n${result.stdout}`).to.not.equal(0);
  expect(`${result.stdout}\n${result.stderr}`, what).to.match(message);
}

for (const mode of ['basic', 'bearer'] as AuthMode[]) {
  describe(`auth: docker, podman and skopeo with ${mode === 'basic' ? 'htpasswd (Basic)' : 'the built-in token service (Bearer)'} @e2e`, function () {
    this.timeout(300_000);
    let registry: AuthRegistry;
    let dockerd: Dockerd;
    let image: BuiltImage;
    let podmanRoot: string;
    const ledger = new SecretLedger();

    before(async () => {
      registry = await startAuthRegistry({ mode });
      for (const login of Object.values(USERS)) ledger.add(login.password);
      const work = (await tempDir('auth-clients')).path;
      podmanRoot = join(work, 'podman');
      image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: `auth ${mode}` });
      dockerd = await startDockerd();
    });
    after(async () => {
      await ledger.assertNotIn(registry.process.logFile);
      await cleanupTestbed();
    });

    it('skopeo: a wrong password fails at login; the right one logs in and pushes', async () => {
      failed(await skopeo(['login', '--tls-verify=false', '-u', 'ci', '--password-stdin', registry.host], { input: 'wrong-password\n' }), 'skopeo login with a wrong password', /unauthorized|401|invalid username\/password/i);
      ok(await skopeo(['login', '--tls-verify=false', '-u', 'ci', '--password-stdin', registry.host], { input: `${USERS.ci.password}\n` }), 'skopeo login');
      ok(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/ci/busybox:v1`]), 'skopeo copy to ci/busybox');
      // ci may not write cache/**.
      failed(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/cache/busybox:v1`]), 'skopeo copy to cache/', /denied|403/i);
      ok(await skopeo(['logout', registry.host]), 'skopeo logout');
    });

    it('docker: a wrong password fails at login; pull, run and push after login; logout then pull is refused', async () => {
      const ref = `${registry.host}/ci/busybox:v1`;
      failed(await dockerd.docker(['login', '-u', 'ci', '--password-stdin', registry.host], { input: 'wrong-password\n' }), 'docker login with a wrong password', /unauthorized|401|incorrect username or password/i);
      ok(await dockerd.docker(['login', '-u', 'ci', '--password-stdin', registry.host], { input: `${USERS.ci.password}\n` }), 'docker login');
      ok(await dockerd.docker(['pull', ref]), 'docker pull');
      const run = ok(await dockerd.docker(['run', '--rm', ref, '/bin/busybox', 'cat', '/testbed/content.txt']), 'docker run');
      expect(run.stdout).to.equal(`auth ${mode}`);
      ok(await dockerd.docker(['tag', ref, `${registry.host}/ci/busybox:v2`]), 'docker tag');
      ok(await dockerd.docker(['push', `${registry.host}/ci/busybox:v2`]), 'docker push');
      // ci's tags are immutable: moving v1 to other content is refused.
      ok(await dockerd.docker(['run', '--name', `changer-${mode}`, ref, '/bin/busybox', 'touch', '/changed']), 'docker run (a change)');
      ok(await dockerd.docker(['commit', `changer-${mode}`, ref]), 'docker commit');
      failed(await dockerd.docker(['push', ref]), 'docker push over an existing tag', /denied|may not be overwritten|403/i);
      ok(await dockerd.docker(['logout', registry.host]), 'docker logout');
      ok(await dockerd.docker(['rmi', '-f', ref, `${registry.host}/ci/busybox:v2`]), 'docker rmi');
      failed(await dockerd.docker(['pull', `${registry.host}/ci/busybox:v2`]), 'docker pull after logout', /unauthorized|authentication required|denied|no basic auth credentials/i);
    });

    it('podman: a reader logs in and pulls, and may not push', async () => {
      failed(await podman(['login', '--tls-verify=false', '-u', 'reader', '--password-stdin', registry.host], { root: podmanRoot, input: 'wrong-password\n' }), 'podman login with a wrong password', /unauthorized|401|invalid username\/password/i);
      ok(await podman(['login', '--tls-verify=false', '-u', 'reader', '--password-stdin', registry.host], { root: podmanRoot, input: `${USERS.reader.password}\n` }), 'podman login');
      ok(await podman(['pull', '--tls-verify=false', `${registry.host}/ci/busybox:v2`], { root: podmanRoot }), 'podman pull');
      ok(await podman(['tag', `${registry.host}/ci/busybox:v2`, `${registry.host}/ci/reader-copy:v1`], { root: podmanRoot }), 'podman tag');
      failed(await podman(['push', '--tls-verify=false', `${registry.host}/ci/reader-copy:v1`], { root: podmanRoot }), 'podman push as a reader', /denied|403|unauthorized/i);
    });

    it('a robot token works as the password of docker login', async () => {
      const created = ok(
        await runCommand(process.execPath, [CLI_PATH, 'token', 'create', '--name', `robot-${mode}`, '--scope', 'ci/**:pull', '--expires', '1d', '--config', registry.configPath]),
        'token create',
      );
      const secret = created.stdout.trim();
      expect(secret).to.match(/^prt_/);
      ledger.add(secret);
      ok(await dockerd.docker(['login', '-u', `robot-${mode}`, '--password-stdin', registry.host], { input: `${secret}\n` }), 'docker login with a robot token');
      ok(await dockerd.docker(['pull', `${registry.host}/ci/busybox:v1`]), 'docker pull as the robot');
      // Its scope is pull only.
      ok(await dockerd.docker(['tag', `${registry.host}/ci/busybox:v1`, `${registry.host}/ci/robot-push:v1`]), 'docker tag');
      failed(await dockerd.docker(['push', `${registry.host}/ci/robot-push:v1`]), 'docker push as a pull-only robot', /denied|403|unauthorized/i);
      ok(await dockerd.docker(['logout', registry.host]), 'docker logout');
    });
  });
}
