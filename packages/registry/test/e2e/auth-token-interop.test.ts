// Real interop of the token format: the reference registry (distribution 2.8.2) with `auth: token:` trusting
// our `keys certs` bundle accepts tokens from our built-in token service (by x5c and by libtrust kid alone)
// and refuses tampered ones, other keys' and other services'; our registry accepts tokens from the testbed's
// token server (an external issuer, by its rootcertbundle).
// Also over HTTP: refresh tokens (docker login's identity token) and key rotation.
import { expect } from 'chai';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI_PATH,
  cleanupTestbed,
  runChecked,
  runCommand,
  startReferenceRegistry,
  startTokenServer,
  tempDir,
  type ReferenceRegistry,
  type TokenServer,
} from '@private-registry/testbed';
import { SignJWT } from 'jose';
import { RegistryApiClient } from '../api/api-client.js';
import { basicHeader } from './auth-client.js';
import { startAuthRegistry, USERS, type AuthRegistry } from './auth-fixture.js';
import { SecretLedger } from './auth-secrets.js';

const SERVICE = 'private-registry-test';

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('auth: our tokens and the reference registry, external tokens in ours @e2e', function () {
  this.timeout(180_000);
  let ours: AuthRegistry;
  const ledger = new SecretLedger();

  async function token(login: { user: string; password: string }, scope: string, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const url = new URL(`${ours.url}/auth/token`);
    url.searchParams.set('service', SERVICE);
    url.searchParams.set('scope', scope);
    for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
    const response = await fetch(url, { headers: { Authorization: basicHeader(login) } });
    expect(response.status, await response.clone().text()).to.equal(200);
    const body = (await response.json()) as Record<string, string>;
    ledger.add(body.token as string, ...(body.refresh_token ? [body.refresh_token] : []));
    return body;
  }

  before(async () => {
    ours = await startAuthRegistry({ mode: 'bearer' });
    for (const login of Object.values(USERS)) ledger.add(login.password);
  });
  after(async () => {
    await ledger.assertNotIn(ours.process.logFile);
    await cleanupTestbed();
  });

  it('issues ES256 tokens with a libtrust kid, x5c, and the Docker claims', async () => {
    const body = await token(USERS.ci, 'repository:ci/app:pull,push');
    expect(Number(body.expires_in)).to.equal(300);
    expect(body.access_token).to.equal(body.token);
    const header = headerOf(body.token as string);
    expect(header.alg).to.equal('ES256');
    expect(header.kid).to.match(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(header.x5c).to.be.an('array').with.length(1);
    const payload = payloadOf(body.token as string);
    expect(payload).to.include({ iss: SERVICE, sub: 'ci', aud: SERVICE });
    expect(payload.access).to.deep.equal([{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }]);
    expect(Number(payload.exp) - Number(payload.iat)).to.equal(300);
  });

  describe('the reference registry trusting our certificates', () => {
    let reference: ReferenceRegistry;

    before(async () => {
      const certs = await runCommand(process.execPath, [CLI_PATH, 'keys', 'certs', '--config', ours.configPath]);
      expect(certs.exitCode, certs.stderr).to.equal(0);
      expect(certs.stdout).to.match(/^-----BEGIN CERTIFICATE-----/);
      expect(certs.stdout).to.not.include('PRIVATE KEY');
      const bundle = join((await tempDir('our-token-certs')).path, 'bundle.pem');
      await writeFile(bundle, certs.stdout);
      reference = await startReferenceRegistry({
        extraConfig: { auth: { token: { realm: `${ours.url}/auth/token`, service: SERVICE, issuer: SERVICE, rootcertbundle: bundle } } },
      });
    });

    it('accepts our token to push and pull there', async () => {
      const { token: bearer } = await token(USERS.ci, 'repository:ci/interop:pull,push');
      const client = new RegistryApiClient(reference.url);
      const auth = { Authorization: `Bearer ${bearer}` };
      const blob = Buffer.from('interop blob');
      const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(blob).digest('hex')}`;
      // distribution 2.8 has no single-request upload: POST, then PUT the session with the bytes.
      const post = await client.request('POST', '/v2/ci/interop/blobs/uploads/', { headers: auth });
      expect(post.status, post.text).to.equal(202);
      const location = new URL(post.header('location') as string, reference.url);
      location.searchParams.set('digest', digest);
      const put = await client.request('PUT', location.toString(), { headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: blob });
      expect(put.status, put.text).to.equal(201);
      const get = await client.get(`/v2/ci/interop/blobs/${digest}`, auth);
      expect(get.status).to.equal(200);
      expect(get.body.toString()).to.equal('interop blob');
    });

    it('refuses a tampered token, one for another repository, and one without credentials', async () => {
      const { token: bearer } = await token(USERS.reader, 'repository:ci/interop:pull');
      const [h, , s] = (bearer as string).split('.');
      const payload = payloadOf(bearer as string);
      payload.access = [{ type: 'repository', name: 'ci/interop', actions: ['pull', 'push'] }];
      const client = new RegistryApiClient(reference.url);
      const tampered = await client.request('POST', '/v2/ci/interop/blobs/uploads/', { headers: { Authorization: `Bearer ${h}.${b64url(payload)}.${s}` } });
      expect(tampered.status).to.equal(401);
      const readerPush = await client.request('POST', '/v2/ci/interop/blobs/uploads/', { headers: { Authorization: `Bearer ${bearer}` } });
      expect(readerPush.status).to.equal(401);
      expect((await client.get('/v2/ci/interop/tags/list')).status).to.equal(401);
    });

    it('finds our key by its libtrust kid alone, and refuses tokens signed by another key or for another service', async () => {
      const { token: bearer } = await token(USERS.ci, 'repository:ci/interop:pull,push');
      const kid = headerOf(bearer as string).kid as string;
      // Our signing key as the store keeps it: re-sign the same claims with headers of our choosing.
      const stored = JSON.parse(await readFile(join(ours.rootDirectory, 'private-registry/auth/signing-keys', `${kid.replaceAll(':', '-')}.json`), 'utf8')) as { privateKeyPem: string };
      const ourKey = createPrivateKey(stored.privateKeyPem);
      const claims = payloadOf(bearer as string);
      const dir = (await tempDir('other-signer')).path;
      await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=other']);
      const otherKey = createPrivateKey(await readFile(join(dir, 'key.pem')));
      const otherX5c = new X509Certificate(await readFile(join(dir, 'cert.pem'))).raw.toString('base64');
      const signed = (key: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown> = claims): Promise<string> =>
        new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...header }).sign(key);
      const client = new RegistryApiClient(reference.url);
      const push = async (jwt: string): Promise<number> => (await client.request('POST', '/v2/ci/interop/blobs/uploads/', { headers: { Authorization: `Bearer ${jwt}` } })).status;
      // Without x5c distribution looks the key up in its bundle by kid: ours must be the libtrust id it computes.
      expect(await push(await signed(ourKey, { kid }))).to.equal(202);
      expect(await push(await signed(ourKey, { kid: `${kid.slice(0, -4)}AAAA` }))).to.equal(401);
      expect(await push(await signed(otherKey, { kid }))).to.equal(401);
      expect(await push(await signed(otherKey, { x5c: [otherX5c] }))).to.equal(401);
      expect(await push(await signed(ourKey, { kid, x5c: headerOf(bearer as string).x5c }, { ...claims, aud: 'another-service' }))).to.equal(401);
    });
  });

  describe('our registry trusting an external token server', () => {
    let external: TokenServer;
    let trusting: AuthRegistry;

    before(async () => {
      external = await startTokenServer({ credentials: { user: 'ext', password: 'ext-Secret-9' }, service: 'ext-service', issuer: 'ext-issuer' });
      ledger.add('ext-Secret-9');
      trusting = await startAuthRegistry({
        mode: 'basic',
        auth: { token: { realm: external.realm, service: 'ext-service', issuer: 'ext-issuer', rootcertbundle: (external.registryAuthConfig().token as { rootcertbundle: string }).rootcertbundle } },
      });
    });

    it('challenges with the external realm and accepts its tokens (push brings tag moves there)', async () => {
      const challenge = (await new RegistryApiClient(trusting.url).get('/v2/ext/app/tags/list')).header('www-authenticate');
      expect(challenge).to.equal(`Bearer realm="${external.realm}",service="ext-service",scope="repository:ext/app:pull"`);
      const response = await fetch(`${external.realm}?service=ext-service&scope=repository:ext/app:pull,push`, { headers: { Authorization: basicHeader({ user: 'ext', password: 'ext-Secret-9' }) } });
      const bearer = ((await response.json()) as { token: string }).token;
      ledger.add(bearer);
      const client = new RegistryApiClient(trusting.url);
      const post = await client.request('POST', '/v2/ext/app/blobs/uploads/', { headers: { Authorization: `Bearer ${bearer}` } });
      expect(post.status, post.text).to.equal(202);
      // A token of that server for another service is refused.
      const other = await fetch(`${external.realm}?service=another&scope=repository:ext/app:pull`, { headers: { Authorization: basicHeader({ user: 'ext', password: 'ext-Secret-9' }) } });
      const otherToken = ((await other.json()) as { token: string }).token;
      expect((await client.get('/v2/ext/app/tags/list', { Authorization: `Bearer ${otherToken}` })).status).to.equal(401);
    });

    it('refuses the external server\'s tokens once its key is rotated away (the bundle file is re-read)', async () => {
      const old = await fetch(`${external.realm}?service=ext-service&scope=repository:ext/app:pull`, { headers: { Authorization: basicHeader({ user: 'ext', password: 'ext-Secret-9' }) } });
      const oldToken = ((await old.json()) as { token: string }).token;
      await external.rotateKey();
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const client = new RegistryApiClient(trusting.url);
      expect((await client.get('/v2/ext/app/tags/list', { Authorization: `Bearer ${oldToken}` })).status).to.equal(401);
      const fresh = await fetch(`${external.realm}?service=ext-service&scope=repository:ext/app:pull`, { headers: { Authorization: basicHeader({ user: 'ext', password: 'ext-Secret-9' }) } });
      const freshToken = ((await fresh.json()) as { token: string }).token;
      expect((await client.get('/v2/ext/app/tags/list', { Authorization: `Bearer ${freshToken}` })).status).to.be.oneOf([200, 404]);
    });
  });

  it('gives docker login a refresh token, which buys access tokens until the user is removed', async () => {
    const first = await token(USERS.cache, 'repository:cache/app:pull', { offline_token: 'true', client_id: 'docker' });
    expect(first.refresh_token, 'offline_token=true returns a refresh token').to.be.a('string');
    const refresh = async (refreshToken: string): Promise<Response> =>
      fetch(`${ours.url}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, service: SERVICE, scope: 'repository:cache/app:pull,push', client_id: 'docker' }),
      });
    const refreshed = await refresh(first.refresh_token as string);
    expect(refreshed.status).to.equal(200);
    const access = payloadOf(((await refreshed.json()) as { token: string }).token).access;
    expect(access).to.deep.equal([{ type: 'repository', name: 'cache/app', actions: ['pull', 'push', 'overwrite'] }]);
    // An access token is not a refresh token.
    expect((await refresh(first.token as string)).status).to.equal(401);
    // The password grant works too.
    const password = await fetch(`${ours.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'cache', password: USERS.cache.password, service: SERVICE, scope: 'repository:cache/app:pull' }),
    });
    expect(password.status).to.equal(200);
    // Removing the user ends its refresh token.
    const removed = await runCommand(process.execPath, [CLI_PATH, 'user', 'remove', 'cache', '--htpasswd', ours.htpasswdPath]);
    expect(removed.exitCode, removed.stderr).to.equal(0);
    const deadline = Date.now() + 3_000;
    let status = 200;
    while (Date.now() < deadline && status === 200) {
      status = (await refresh(first.refresh_token as string)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).to.equal(401);
  });

  it('keeps verifying tokens of a rotated key, and signs new ones with the new key', async () => {
    const before = await token(USERS.reader, 'repository:ci/app:pull');
    const rotated = await runCommand(process.execPath, [CLI_PATH, 'keys', 'rotate', '--config', ours.configPath]);
    expect(rotated.exitCode, rotated.stderr).to.equal(0);
    const listed = await runCommand(process.execPath, [CLI_PATH, 'keys', 'list', '--config', ours.configPath]);
    expect(listed.stdout.trim().split('\n')).to.have.length(3);
    expect(listed.stdout).to.match(/current/).and.match(/retired/);
    // The old key's token still works.
    const client = new RegistryApiClient(ours.url);
    expect((await client.get('/v2/ci/app/tags/list', { Authorization: `Bearer ${before.token}` })).status).to.be.oneOf([200, 404]);
    // Within 15 s the server signs with the new key (it re-reads the store on a timer).
    const newKid = (listed.stdout.split('\n').find((line) => line.includes('current')) as string).split('\t')[0];
    const deadline = Date.now() + 20_000;
    let kid = headerOf((await token(USERS.reader, 'repository:ci/app:pull')).token as string).kid;
    while (kid !== newKid && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      kid = headerOf((await token(USERS.reader, 'repository:ci/app:pull')).token as string).kid;
    }
    expect(kid).to.equal(newKid);
  });
});
