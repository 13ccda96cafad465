// What changes while an authenticated registry runs: htpasswd users added and removed with
// `private-registry user` (accepted or refused within a second), robot tokens revoked (refused within five
// seconds), and cross-repository mounts under the policy (pull on the source, push on the target, or a
// normal upload instead).
import { expect } from 'chai';
import { CLI_PATH, cleanupTestbed, runCommand } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { AuthClient, basicHeader } from './auth-client.js';
import { startAuthRegistry, USERS, type AuthRegistry } from './auth-fixture.js';
import { SecretLedger } from './auth-secrets.js';

async function statusWithin(ms: number, probe: () => Promise<number>, wanted: number): Promise<{ status: number; elapsedMs: number }> {
  const started = Date.now();
  let status = await probe();
  while (status !== wanted && Date.now() - started < ms) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await probe();
  }
  return { status, elapsedMs: Date.now() - started };
}

describe('auth: users, tokens and mounts while the registry runs @e2e', function () {
  this.timeout(120_000);
  let registry: AuthRegistry;
  const ledger = new SecretLedger();

  before(async () => {
    registry = await startAuthRegistry({
      mode: 'basic',
      auth: {
        access: [
          { repository: ['ci/**'], users: ['ci', 'newcomer'], actions: ['pull', 'push'] },
          { repository: ['cache/**'], users: ['cache'], actions: ['pull', 'push'] },
          { repository: ['**'], users: ['admin'], actions: ['admin'] },
        ],
      },
    });
    for (const login of Object.values(USERS)) ledger.add(login.password);
  });
  after(async () => {
    await ledger.assertNotIn(registry.process.logFile);
    await cleanupTestbed();
  });

  it('accepts a user added with `user add` within a second, and refuses it within a second of `user remove`', async () => {
    const newcomer = { user: 'newcomer', password: 'newcomer-Secret-5' };
    ledger.add(newcomer.password);
    const probe = async (): Promise<number> => (await new RegistryApiClient(registry.url).get('/v2/', { Authorization: basicHeader(newcomer) })).status;
    expect(await probe()).to.equal(401);
    const added = await runCommand(process.execPath, [CLI_PATH, 'user', 'add', 'newcomer', '--password-stdin', '--config', registry.configPath], { input: `${newcomer.password}\n` });
    expect(added.exitCode, added.stderr).to.equal(0);
    const accepted = await statusWithin(1_000, probe, 200);
    expect(accepted.status, `after ${accepted.elapsedMs} ms`).to.equal(200);
    const removed = await runCommand(process.execPath, [CLI_PATH, 'user', 'remove', 'newcomer', '--config', registry.configPath]);
    expect(removed.exitCode, removed.stderr).to.equal(0);
    const refused = await statusWithin(1_000, probe, 401);
    expect(refused.status, `after ${refused.elapsedMs} ms`).to.equal(401);
  });

  it('refuses a revoked robot token within five seconds; lists tokens without their secrets', async () => {
    const created = await runCommand(process.execPath, [CLI_PATH, 'token', 'create', '--name', 'deployer', '--scope', 'ci/**:pull', '--config', registry.configPath]);
    expect(created.exitCode, created.stderr).to.equal(0);
    const secret = created.stdout.trim();
    ledger.add(secret);
    const robot = { user: 'deployer', password: secret };
    const probe = async (): Promise<number> => (await new RegistryApiClient(registry.url).get('/v2/ci/app/tags/list', { Authorization: basicHeader(robot) })).status;
    expect(await probe()).to.be.oneOf([200, 404]);
    // Its scope is all it has: no push, nothing outside ci/**.
    expect((await new RegistryApiClient(registry.url).request('POST', '/v2/ci/app/blobs/uploads/', { headers: { Authorization: basicHeader(robot) } })).status).to.equal(403);
    expect((await new RegistryApiClient(registry.url).get('/v2/cache/app/tags/list', { Authorization: basicHeader(robot) })).status).to.equal(403);
    // A wrong secret with the right name is refused.
    expect((await new RegistryApiClient(registry.url).get('/v2/ci/app/tags/list', { Authorization: basicHeader({ user: 'deployer', password: `${secret.slice(0, -2)}xx` }) })).status).to.equal(401);
    const listed = await runCommand(process.execPath, [CLI_PATH, 'token', 'list', '--config', registry.configPath]);
    expect(listed.stdout).to.include('deployer').and.include('ci/**:pull');
    expect(listed.stdout).to.not.include(secret);
    const revoked = await runCommand(process.execPath, [CLI_PATH, 'token', 'revoke', 'deployer', '--config', registry.configPath]);
    expect(revoked.exitCode, revoked.stderr).to.equal(0);
    const refused = await statusWithin(6_000, probe, 401);
    expect(refused.status, `after ${refused.elapsedMs} ms`).to.equal(401);
    expect(refused.elapsedMs).to.be.below(6_000);
  });

  it('mounts only with pull on the source and push on the target; otherwise a normal upload (202)', async () => {
    const admin = new AuthClient(registry.url, USERS.admin);
    const blob = randomBlob(1024);
    await admin.pushBlob('cache/base', blob);
    const ci = new AuthClient(registry.url, USERS.ci);
    // ci may not pull cache/base: the mount falls back to an upload session, and the blob is not linked.
    const fromForbidden = await ci.mount('ci/app', blob.digest, 'cache/base');
    expect(fromForbidden.status, fromForbidden.text).to.equal(202);
    expect(fromForbidden.header('location')).to.include('/blobs/uploads/');
    expect((await admin.head(`/v2/ci/app/blobs/${blob.digest}`)).status).to.equal(404);
    // Without `from` the blob is found only in repositories ci may pull: not here.
    const anywhere = await ci.mount('ci/app', blob.digest);
    expect(anywhere.status, anywhere.text).to.equal(202);
    expect((await admin.head(`/v2/ci/app/blobs/${blob.digest}`)).status).to.equal(404);
    // Once the blob is in a repository ci may pull, both forms mount.
    await admin.pushBlob('ci/base', blob);
    expect((await ci.mount('ci/app', blob.digest, 'ci/base')).status).to.equal(201);
    expect((await ci.mount('ci/other', blob.digest)).status).to.equal(201);
    // And pushing into a repository ci may not push is refused whatever the source.
    const intoCache = await ci.mount('cache/app', blob.digest, 'ci/base');
    expect(intoCache.status).to.equal(403);
  });
});
