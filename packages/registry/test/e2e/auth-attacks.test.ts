// Attacks on an authenticated registry, each answered with the right 4xx and nothing written: no or bad
// credentials, forged and tampered tokens (signed by another key, alg none, expired, for another service),
// scope escalation at the token service, a token used on another repository, path tricks in names, and a
// thousand wrong passwords (the rate limit engages; the right password still works from another address).
import { expect } from 'chai';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed } from '@private-registry/testbed';
import { RegistryApiClient, type ApiResponse } from '../api/api-client.js';
import { sendRaw } from '../api/raw-http.js';
import { AuthClient, basicHeader, parseChallenge } from './auth-client.js';
import { startAuthRegistry, USERS, type AuthRegistry } from './auth-fixture.js';
import { SecretLedger } from './auth-secrets.js';

function errorCode(response: ApiResponse): string | undefined {
  return (response.json<{ errors?: Array<{ code: string }> }>().errors ?? [])[0]?.code;
}

function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A token the way our service makes one, signed with a given EC key (the store's, or another). */
function es256Token(header: Record<string, unknown>, payload: Record<string, unknown>, key: ReturnType<typeof createPrivateKey>): string {
  const input = `${b64url({ alg: 'ES256', typ: 'JWT', ...header })}.${b64url(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('auth: attacks on an authenticated registry @e2e', function () {
  this.timeout(180_000);
  let registry: AuthRegistry;
  let admin: AuthClient;
  const ledger = new SecretLedger();

  async function tokenFor(login: { user: string; password: string } | undefined, scope: string): Promise<{ status: number; token?: string }> {
    const url = new URL(`${registry.url}/auth/token`);
    url.searchParams.set('service', 'private-registry-test');
    url.searchParams.set('scope', scope);
    const response = await fetch(url, { headers: login ? { Authorization: basicHeader(login) } : {} });
    if (response.status !== 200) return { status: response.status };
    const token = ((await response.json()) as { token: string }).token;
    ledger.add(token);
    return { status: 200, token };
  }

  /** The registry's own signing key, read from its store (what only the registry should hold). */
  async function storeKey(): Promise<{ key: ReturnType<typeof createPrivateKey>; header: Record<string, unknown> }> {
    const dir = join(registry.rootDirectory, 'private-registry', 'auth', 'signing-keys');
    const [file] = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    const stored = JSON.parse(await readFile(join(dir, file as string), 'utf8')) as { privateKeyPem: string };
    const { token } = await tokenFor(USERS.admin, 'repository:ci/app:pull');
    const header = JSON.parse(Buffer.from((token as string).split('.')[0] as string, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { key: createPrivateKey(stored.privateKeyPem), header: { kid: header.kid, ...(header.x5c ? { x5c: header.x5c } : {}) } };
  }

  function claims(overrides: Record<string, unknown>): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'private-registry-test',
      sub: 'admin',
      aud: 'private-registry-test',
      exp: now + 300,
      nbf: now - 10,
      iat: now - 10,
      jti: `t${now}${Math.random()}`,
      access: [{ type: 'repository', name: 'ci/app', actions: ['pull', 'push', 'delete'] }],
      ...overrides,
    };
  }

  async function expectRefused(token: string, what: string): Promise<void> {
    const response = await new RegistryApiClient(registry.url).get('/v2/ci/app/tags/list', { Authorization: `Bearer ${token}` });
    expect(response.status, `${what}: ${response.text}`).to.equal(401);
    expect(errorCode(response), what).to.equal('UNAUTHORIZED');
    expect(response.text, 'the error body never echoes the token').to.not.include(token.slice(-20));
  }

  before(async () => {
    registry = await startAuthRegistry({ mode: 'bearer' });
    for (const login of Object.values(USERS)) ledger.add(login.password);
    admin = new AuthClient(registry.url, USERS.admin);
    await admin.pushImage('ci/app', 'v1');
  });
  after(async () => {
    await ledger.assertNotIn(registry.process.logFile);
    await cleanupTestbed();
  });

  it('refuses requests with no credentials, a wrong scheme or a malformed Basic header with 401 and the challenge', async () => {
    for (const authorization of [undefined, 'Digest username="admin"', 'Basic', 'Basic %%%', `Basic ${Buffer.from('nocolon').toString('base64')}`, 'Bearer', 'NTLM abc']) {
      const response = await new RegistryApiClient(registry.url).get('/v2/ci/app/tags/list', authorization === undefined ? {} : { Authorization: authorization });
      expect(response.status, String(authorization)).to.equal(401);
      expect(errorCode(response)).to.equal('UNAUTHORIZED');
      expect(parseChallenge(response.header('www-authenticate'))?.scheme).to.equal('bearer');
    }
  });

  it('refuses an over-long Authorization header: 401 below the server header limit, 431 above it', async () => {
    const long = await sendRaw(registry.url, { method: 'GET', path: '/v2/ci/app/tags/list', headers: { Authorization: `Basic ${'QUFB'.repeat(2500)}` } });
    expect(long.status).to.equal(401);
    const huge = await sendRaw(registry.url, { method: 'GET', path: '/v2/ci/app/tags/list', headers: { Authorization: `Basic ${'QUFB'.repeat(20_000)}` } });
    expect(huge.status).to.equal(431);
  });

  it('refuses a token signed with another key, alg none, HS256, an expired one, and one for another service or issuer', async () => {
    const own = await storeKey();
    // Sanity: a token we sign ourselves with the store's key and the right claims is accepted, so the
    // refusals below are about the one thing changed.
    const good = es256Token(own.header, claims({}), own.key);
    expect((await new RegistryApiClient(registry.url).get('/v2/ci/app/tags/list', { Authorization: `Bearer ${good}` })).status).to.equal(200);

    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await expectRefused(es256Token(own.header, claims({}), other), 'signed with another key under our kid');
    await expectRefused(es256Token({ kid: 'AAAA:BBBB' }, claims({}), other), 'signed with another key');
    await expectRefused(`${b64url({ alg: 'none', typ: 'JWT', kid: own.header.kid })}.${b64url(claims({}))}.`, 'alg none');
    const hsInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: own.header.kid })}.${b64url(claims({}))}`;
    await expectRefused(`${hsInput}.${b64url('x'.repeat(32))}`, 'HS256');
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectRefused(es256Token(own.header, claims({ exp: past, nbf: past - 60, iat: past - 60 }), own.key), 'expired');
    await expectRefused(es256Token(own.header, claims({ aud: 'another-registry' }), own.key), 'another service');
    await expectRefused(es256Token(own.header, claims({ iss: 'someone-else' }), own.key), 'another issuer');
    // A real token with its payload changed (more access) and the signature kept.
    const { token } = await tokenFor(USERS.reader, 'repository:ci/app:pull');
    const [h, , s] = (token as string).split('.');
    const payload = decodePayload(token as string);
    payload.access = [{ type: 'repository', name: 'ci/app', actions: ['pull', 'push', 'delete'] }];
    await expectRefused(`${h}.${b64url(payload)}.${s}`, 'tampered payload');
  });

  it('grants no more than the policy at the token service, whatever the scope asks', async () => {
    const { token } = await tokenFor(USERS.reader, 'repository:ci/app:pull,push,delete,overwrite,*');
    const access = decodePayload(token as string).access as Array<{ name: string; actions: string[] }>;
    expect(access).to.deep.equal([{ type: 'repository', name: 'ci/app', actions: ['pull'] }]);
    const none = await tokenFor(USERS.ci, 'repository:cache/app:pull,push');
    expect(decodePayload(none.token as string).access).to.deep.equal([{ type: 'repository', name: 'cache/app', actions: [] }]);
    // And with that token the registry refuses, writing nothing.
    const push = await new RegistryApiClient(registry.url).request('POST', '/v2/cache/app/blobs/uploads/', { headers: { Authorization: `Bearer ${none.token}` } });
    expect(push.status).to.equal(403);
    expect(errorCode(push)).to.equal('DENIED');
    expect((await admin.get('/v2/_catalog')).json<{ repositories: string[] }>().repositories).to.not.include('cache/app');
  });

  it('refuses a token for ci/app on ci/app2 (401 insufficient_scope), writing nothing', async () => {
    const { token } = await tokenFor(USERS.ci, 'repository:ci/app:pull,push');
    const response = await new RegistryApiClient(registry.url).request('POST', '/v2/ci/app2/blobs/uploads/', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).to.equal(401);
    expect(response.header('www-authenticate')).to.include('error="insufficient_scope"');
    expect(response.header('www-authenticate')).to.include('scope="repository:ci/app2:pull,push"');
    expect((await admin.get('/v2/ci/app2/tags/list')).status).to.equal(404);
  });

  it('answers path tricks in names with 4xx and writes nothing', async () => {
    const authorization = basicHeader(USERS.admin);
    const paths = [
      '/v2/../x/blobs/uploads/',
      '/v2/ci/../../x/blobs/uploads/',
      '/v2/ci/%2e%2e/x/blobs/uploads/',
      '/v2/%2e%2e/%2e%2e/etc/blobs/uploads/',
      '/v2/CI/App/blobs/uploads/',
      `/v2/${'a'.repeat(300)}/blobs/uploads/`,
      '/v2/ci//app/blobs/uploads/',
      '/v2/ci/app%2f..%2f..%2fx/blobs/uploads/',
    ];
    for (const path of paths) {
      const response = await sendRaw(registry.url, { method: 'POST', path, headers: { Authorization: authorization, 'Content-Length': '0' } });
      expect(response.status, path).to.be.within(400, 404);
    }
    const repositories = (await admin.get('/v2/_catalog')).json<{ repositories: string[] }>().repositories;
    expect(repositories.filter((name) => name !== 'ci/app')).to.deep.equal([]);
    // Nothing outside the repositories tree either.
    expect(await readdir(join(registry.rootDirectory, 'docker', 'registry', 'v2', 'repositories'))).to.deep.equal(['ci']);
  });

  it('rate-limits a thousand wrong passwords; the right password still works from another address', async () => {
    const wrong = { user: 'reader', password: 'not-the-password' };
    ledger.add(wrong.password);
    const statuses = new Map<number, number>();
    let retryAfter: string | null = null;
    for (let i = 0; i < 1000; i += 1) {
      const response = await sendRaw(registry.url, { method: 'GET', path: '/v2/', headers: { Authorization: basicHeader(wrong) } });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 429) retryAfter ??= response.header('retry-after');
    }
    expect(statuses.get(401), 'the first failures are plain 401s').to.be.within(1, 20);
    expect(statuses.get(429), 'then 429 TOOMANYREQUESTS').to.be.greaterThan(900);
    expect(Number(retryAfter)).to.be.greaterThan(0);
    // The same address is blocked even with the right password (no free guesses through it).
    const blocked = await sendRaw(registry.url, { method: 'GET', path: '/v2/', headers: { Authorization: basicHeader(USERS.reader) } });
    expect(blocked.status).to.equal(429);
    expect(errorCode(blocked)).to.equal('TOOMANYREQUESTS');
    const elsewhere = await sendRaw(registry.url, { method: 'GET', path: '/v2/', headers: { Authorization: basicHeader(USERS.reader) }, localAddress: '127.0.0.2' });
    expect(elsewhere.status, elsewhere.text).to.equal(200);
    // Failures are logged with the user and address, never the password (checked in after()).
    const log = await readFile(registry.process.logFile, 'utf8');
    expect(log).to.match(/"user":"reader".*"address":"(::ffff:)?127\.0\.0\.1".*authentication failed/);
  });
});
