import { expect } from 'chai';
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { runChecked, tempDir } from '@private-registry/testbed';
import { libtrustKeyId } from '../../src/auth/libtrust-key-id.js';
import { SigningKeys } from '../../src/auth/signing-keys.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { expectRejected } from '../helpers/expect-rejected.js';

const log = createLogger({ level: 'silent' });
const DAY = 24 * 3_600_000;

/** RFC 4648 base32 of the first 30 bytes, written independently of the code under test. */
function referenceKeyId(spkiDer: Buffer): string {
  const digest = createHash('sha256').update(spkiDer).digest().subarray(0, 30);
  const bits = [...digest].map((b) => b.toString(2).padStart(8, '0')).join('');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const chars = (bits.match(/.{5}/g) ?? []).map((group) => alphabet[parseInt(group, 2)]).join('');
  return (chars.match(/.{4}/g) ?? []).join(':');
}

describe('token signing keys', () => {
  it('computes the libtrust key id of the DER public key, as openssl writes it', async () => {
    const dir = (await tempDir('kid')).path;
    await runChecked('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'key.pem')]);
    const pem = (await runChecked('openssl', ['ec', '-in', join(dir, 'key.pem'), '-pubout'])).stdout;
    const publicKey = createPublicKey(pem);
    // openssl's DER of the same key, base64 between the PEM lines: what the reference id is computed from.
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const id = libtrustKeyId(publicKey);
    expect(id).to.match(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(id).to.equal(referenceKeyId(der));
  });

  it('makes one key on first start, keeps it in the store, and a second instance on the same store uses it', async () => {
    const driver = new MemoryDriver();
    const a = await SigningKeys.open({ driver, rotationMs: 30 * DAY, tokenLifetimeS: 300, refreshLifetimeMs: 30 * DAY, log });
    const b = await SigningKeys.open({ driver, rotationMs: 30 * DAY, tokenLifetimeS: 300, refreshLifetimeMs: 30 * DAY, log });
    expect(b.current().id).to.equal(a.current().id);
    expect(a.verificationKeys()).to.have.length(1);
    const certificate = new X509Certificate(a.certificatesPem());
    expect(certificate.checkIssued(certificate)).to.equal(true);
    expect(libtrustKeyId(certificate.publicKey)).to.equal(a.current().id);
    expect(a.jwks().keys[0]).to.include({ kid: a.current().id, alg: 'ES256', kty: 'EC' });
    expect(JSON.stringify(a.jwks())).to.not.include('"d"');
    a.close();
    b.close();
  });

  it('rotates after rotationMs, verifies old tokens until they expire, then deletes the old key', async () => {
    const driver = new MemoryDriver();
    let now = Date.parse('2026-01-01T00:00:00Z');
    const keys = await SigningKeys.open({ driver, rotationMs: 10 * DAY, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log, now: () => now });
    const issuer = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY, now: () => now });
    const verifier = await TokenVerifier.create({ issuer: 'me', service: 'svc', ownKeys: keys, log, now: () => now });
    const first = keys.current().id;
    now += 10 * DAY + 1;
    const old = await issuer.issue({ subject: 'u', audience: 'svc', access: [] });
    await keys.refresh();
    expect(keys.current().id).to.not.equal(first);
    expect(keys.verificationKeys().map((k) => k.id)).to.include(first);
    // A token signed just before the rotation still verifies.
    expect((await verifier.verify(old.token)).subject).to.equal('u');
    // Past the longest lifetime (the refresh token's day) the old key goes.
    now += DAY + 120_000;
    await keys.refresh();
    expect(keys.verificationKeys().map((k) => k.id)).to.not.include(first);
    keys.close();
  });

  it('signs with a configured key file (RSA → RS256) and never rotates it', async () => {
    const dir = (await tempDir('keyfile')).path;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await writeFile(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const keys = await SigningKeys.open({ driver: new MemoryDriver(), keyFile: join(dir, 'key.pem'), rotationMs: 1, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log });
    expect(keys.current().alg).to.equal('RS256');
    const issuer = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY });
    const verifier = await TokenVerifier.create({ issuer: 'me', service: 'svc', ownKeys: keys, log });
    const { token } = await issuer.issue({ subject: 'u', audience: 'svc', access: [{ type: 'repository', name: 'a', actions: ['pull'] }] });
    expect(await verifier.verify(token)).to.deep.equal({ subject: 'u', issuer: 'me', access: [{ type: 'repository', name: 'a', actions: ['pull'] }], builtin: true });
    await expectRejected(keys.rotate(), /signingkey/);
  });

  it('refuses a key file that is not a usable private key, naming the key', async () => {
    const dir = (await tempDir('badkey')).path;
    await writeFile(join(dir, 'key.pem'), 'not a key');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    await writeFile(join(dir, 'p384.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    for (const [file, message] of [['key.pem', /is not a PEM private key/], ['p384.pem', /EC P-256 or an RSA/], ['missing.pem', /cannot read/]] as const) {
      let error: Error | undefined;
      try {
        await SigningKeys.open({ driver: new MemoryDriver(), keyFile: join(dir, file), rotationMs: 0, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message, file).to.match(/^invalid configuration: auth\.token\.builtin\.signingkey: /).and.match(message);
    }
  });
});

describe('token issuer and verifier', () => {
  it('round-trips access tokens and keeps refresh tokens apart', async () => {
    const keys = await SigningKeys.open({ driver: new MemoryDriver(), rotationMs: 0, tokenLifetimeS: 300, refreshLifetimeMs: DAY, log });
    const issuer = new TokenIssuer(keys, { issuer: 'me', expirationS: 300, refreshExpirationMs: DAY });
    const verifier = await TokenVerifier.create({ issuer: 'me', service: 'svc', ownKeys: keys, log });
    const { token, expiresIn } = await issuer.issue({ subject: 'ci', audience: 'svc', access: [{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }] });
    expect(expiresIn).to.equal(300);
    expect((await verifier.verify(token)).access).to.deep.equal([{ type: 'repository', name: 'ci/app', actions: ['pull', 'push'] }]);
    const refresh = await issuer.issueRefresh('ci', 'svc');
    expect(await issuer.verifyRefresh(refresh, 'svc')).to.deep.equal({ subject: 'ci' });
    await expectRejected(verifier.verify(refresh), /refresh token is not an access token/);
    await expectRejected(issuer.verifyRefresh(token, 'svc'), /not a refresh token/);
    await expectRejected(issuer.verifyRefresh(refresh, 'other'), /aud/);
    const other = await TokenVerifier.create({ issuer: 'me', service: 'other', ownKeys: keys, log });
    await expectRejected(other.verify(token), /claim aud/);
    await expectRejected(verifier.verify('not.a.token'), /malformed|invalid/);
    keys.close();
  });
});
