// The bearer token verifier against real keys and certificates: our own signing keys, certificates made by
// openssl (a rootcertbundle, by libtrust kid or by an x5c chain), and the testbed's token server. Every
// forgery a client could send is refused with TOKEN_INVALID and a reason that never repeats the token.
import { expect } from 'chai';
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { basicAuth, runChecked, startTokenServer, tempDir } from '@private-registry/testbed';
import { SignJWT } from 'jose';
import { SigningKeys } from '../../src/auth/signing-keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenInvalidError, TokenVerifier } from '../../src/auth/token-verifier.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';

const log = createLogger({ level: 'silent' });
const DAY = 24 * 3_600_000;
const ACCESS = [{ type: 'repository', name: 'x/y', actions: ['pull', 'push'] }];

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function partsOf(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return { header: JSON.parse(Buffer.from(header, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload, 'base64url').toString()), signature };
}

/** The libtrust key id, computed from openssl's DER without the code under test (RFC 4648 base32 by hand). */
async function opensslKeyId(keyPath: string): Promise<string> {
  const pem = (await runChecked('openssl', ['pkey', '-in', keyPath, '-pubout'])).stdout;
  const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  const bits = [...createHash('sha256').update(der).digest().subarray(0, 30)].map((b) => b.toString(2).padStart(8, '0')).join('');
  const chars = (bits.match(/.{5}/g) ?? []).map((group) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[parseInt(group, 2)]).join('');
  return (chars.match(/.{4}/g) ?? []).join(':');
}

async function rejection(verifier: TokenVerifier, token: string): Promise<TokenInvalidError> {
  let error: unknown;
  try {
    await verifier.verify(token);
  } catch (err) {
    error = err;
  }
  expect(error, 'refused').to.be.instanceOf(TokenInvalidError);
  const invalid = error as TokenInvalidError;
  expect(invalid.code).to.equal('TOKEN_INVALID');
  for (const part of token.split('.').filter((p) => p.length > 8)) expect(invalid.message).to.not.include(part);
  return invalid;
}

async function sign(key: KeyObject, header: Record<string, unknown>, claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ access: ACCESS, ...claims })
    .setProtectedHeader({ alg: 'ES256', ...header })
    .setIssuer('ext-issuer')
    .setSubject('robot')
    .setAudience('svc')
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(key);
}

describe('token verifier: our own keys', () => {
  let keys: SigningKeys;
  let issuer: TokenIssuer;
  let verifier: TokenVerifier;
  let token: string;

  before(async () => {
    keys = await SigningKeys.open({ driver: new MemoryDriver(), rotationMs: 0, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log });
    issuer = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY });
    verifier = await TokenVerifier.create({ issuer: 'me', service: 'svc', ownKeys: keys, log });
    ({ token } = await issuer.issue({ subject: 'ci', audience: 'svc', access: ACCESS }));
  });
  after(() => keys.close());

  it('accepts what the issuer signed: Docker claims, libtrust kid and x5c in the header', async () => {
    expect(await verifier.verify(token)).to.deep.equal({ subject: 'ci', issuer: 'me', access: ACCESS, builtin: true });
    const { header, payload } = partsOf(token);
    expect(header).to.include({ alg: 'ES256', kid: keys.current().id });
    expect(header.x5c).to.deep.equal([keys.current().x5c]);
    expect(payload).to.include.keys('iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'access');
  });

  it('refuses a payload changed under the original signature', async () => {
    const { payload, signature } = partsOf(token);
    const [header] = token.split('.');
    const forged = `${header}.${b64url({ ...payload, access: [{ type: 'repository', name: '*', actions: ['*'] }] })}.${signature}`;
    expect((await rejection(verifier, forged)).message).to.equal('bad signature');
  });

  it('refuses a token signed by another key, under our kid or its own', async () => {
    const other = createPrivateKey((await runChecked('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'])).stdout);
    expect((await rejection(verifier, await sign(other, { kid: keys.current().id }, { iss: 'me' }))).message).to.equal('bad signature');
    expect((await rejection(verifier, await sign(other, { kid: 'AAAA:BBBB' }, { iss: 'me' }))).message).to.match(/does not trust/);
  });

  it('refuses alg none and HS256 keyed with our public key', async () => {
    const { payload } = partsOf(token);
    const none = `${b64url({ alg: 'none', typ: 'JWT', kid: keys.current().id })}.${b64url(payload)}.`;
    expect((await rejection(verifier, none)).message).to.match(/algorithm "none" is not accepted/);
    const publicPem = keys.current().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: keys.current().id }).sign(new TextEncoder().encode(publicPem));
    expect((await rejection(verifier, hs)).message).to.match(/algorithm "HS256" is not accepted/);
  });

  it('refuses an expired token (past the minute of leeway), another audience and another issuer', async () => {
    const past = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY, now: () => Date.now() - 400_000 });
    expect((await rejection(verifier, (await past.issue({ subject: 'ci', audience: 'svc', access: ACCESS })).token)).message).to.equal('token expired');
    const justExpired = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY, now: () => Date.now() - 330_000 });
    expect((await verifier.verify((await justExpired.issue({ subject: 'ci', audience: 'svc', access: ACCESS })).token)).subject).to.equal('ci');
    expect((await rejection(verifier, (await issuer.issue({ subject: 'ci', audience: 'other', access: ACCESS })).token)).message).to.match(/claim aud/);
    const stranger = new TokenIssuer(keys, { issuer: 'someone-else', expirationS: 300, refreshExpirationMs: DAY });
    expect((await rejection(verifier, (await stranger.issue({ subject: 'ci', audience: 'svc', access: ACCESS })).token)).message).to.match(/claim iss/);
  });

  it('accepts an audience list that names the service', async () => {
    const key = keys.current();
    const listed = await new SignJWT({ access: ACCESS })
      .setProtectedHeader({ alg: 'ES256', kid: key.id })
      .setIssuer('me')
      .setSubject('ci')
      .setAudience(['elsewhere', 'svc'])
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);
    expect((await verifier.verify(listed)).subject).to.equal('ci');
  });

  it('keeps refresh tokens and access tokens apart, and refuses garbage as malformed', async () => {
    expect((await rejection(verifier, await issuer.issueRefresh('ci', 'svc'))).message).to.equal('a refresh token is not an access token');
    let refused: Error | undefined;
    await issuer.verifyRefresh(token, 'svc').catch((err: Error) => (refused = err));
    expect(refused?.message).to.match(/not a refresh token/);
    expect((await rejection(verifier, 'not-a-jwt')).message).to.equal('malformed token');
  });
});

describe('token verifier: a rootcertbundle', () => {
  it("accepts the testbed token server's tokens (x5c against its certificate) and refuses its tokens for another service", async () => {
    const server = await startTokenServer({ credentials: { user: 'u', password: 'p-Secret-1' }, service: 'svc', issuer: 'ext-issuer' });
    try {
      const bundle = (server.registryAuthConfig().token as { rootcertbundle: string }).rootcertbundle;
      const verifier = await TokenVerifier.create({ issuer: 'ext-issuer', service: 'svc', rootCertBundle: bundle, log });
      const tokenFor = async (service: string): Promise<string> => {
        const response = await fetch(`${server.realm}?service=${service}&scope=repository:x/y:pull,push`, { headers: { Authorization: basicAuth('u', 'p-Secret-1') } });
        return ((await response.json()) as { token: string }).token;
      };
      expect(await verifier.verify(await tokenFor('svc'))).to.deep.equal({ subject: 'u', issuer: 'ext-issuer', access: ACCESS, builtin: false });
      expect((await rejection(verifier, await tokenFor('another'))).message).to.match(/claim aud/);
    } finally {
      await server.stop();
    }
  });

  it('finds a key by its libtrust kid alone, and re-reads the bundle when it changes', async () => {
    const dir = (await tempDir('bundle-kid')).path;
    for (const name of ['a', 'b']) {
      await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${name}`]);
    }
    const bundle = join(dir, 'bundle.pem');
    await writeFile(bundle, await readFile(join(dir, 'a.pem')));
    let now = Date.now();
    const verifier = await TokenVerifier.create({ issuer: 'ext-issuer', service: 'svc', rootCertBundle: bundle, log, now: () => now });
    const keyA = createPrivateKey(await readFile(join(dir, 'a.key')));
    const keyB = createPrivateKey(await readFile(join(dir, 'b.key')));
    const byA = await sign(keyA, { kid: await opensslKeyId(join(dir, 'a.key')) });
    const byB = await sign(keyB, { kid: await opensslKeyId(join(dir, 'b.key')) });
    expect((await verifier.verify(byA)).subject).to.equal('robot');
    expect((await rejection(verifier, byB)).message).to.match(/does not trust/);
    // B signs under A's kid: the key A's certificate holds does not verify it.
    expect((await rejection(verifier, await sign(keyB, { kid: await opensslKeyId(join(dir, 'a.key')) }))).message).to.equal('bad signature');
    // The operator replaces the bundle with B's certificate: seen at the next file check (every 5 s).
    await writeFile(bundle, await readFile(join(dir, 'b.pem')));
    now += 6_000;
    expect((await verifier.verify(byB)).subject).to.equal('robot');
    expect((await rejection(verifier, byA)).message).to.match(/does not trust/);
  });

  it('accepts an x5c chain that ends at a bundle CA, and refuses one from an untrusted CA', async () => {
    const dir = (await tempDir('bundle-chain')).path;
    const ca = async (name: string): Promise<void> => {
      await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,digitalSignature']);
    };
    const leaf = async (name: string, issuerName: string): Promise<string> => {
      await runChecked('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.csr`), '-subj', `/CN=${name}`]);
      await runChecked('openssl', ['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${issuerName}.pem`), '-CAkey', join(dir, `${issuerName}.key`), '-CAcreateserial', '-out', join(dir, `${name}.pem`), '-days', '1']);
      return new X509Certificate(await readFile(join(dir, `${name}.pem`))).raw.toString('base64');
    };
    await ca('trusted-ca');
    await ca('rogue-ca');
    const good = await leaf('good', 'trusted-ca');
    const rogue = await leaf('rogue', 'rogue-ca');
    await writeFile(join(dir, 'bundle.pem'), await readFile(join(dir, 'trusted-ca.pem')));
    const verifier = await TokenVerifier.create({ issuer: 'ext-issuer', service: 'svc', rootCertBundle: join(dir, 'bundle.pem'), log });
    const goodKey = createPrivateKey(await readFile(join(dir, 'good.key')));
    expect((await verifier.verify(await sign(goodKey, { x5c: [good] }))).builtin).to.equal(false);
    const rogueKey = createPrivateKey(await readFile(join(dir, 'rogue.key')));
    await rejection(verifier, await sign(rogueKey, { x5c: [rogue] }));
    // A trusted chain does not vouch for a token signed by another key.
    expect((await rejection(verifier, await sign(rogueKey, { x5c: [good] }))).message).to.equal('bad signature');
  });
});
