// Tokens from an external token server: trusted by a JWKS file, re-read when it changes; only asymmetric
// algorithms; the verified cache never outlives the token.
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { tempDir } from '@private-registry/testbed';
import { SignJWT } from 'jose';
import { TokenVerifier } from '../../src/auth/token-verifier.js';

const log = createLogger({ level: 'silent' });

function keyPair(kid: string): { privateKey: ReturnType<typeof generateKeyPairSync>['privateKey']; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

async function sign(privateKey: ReturnType<typeof generateKeyPairSync>['privateKey'], kid: string, exp: number, aud = 'svc'): Promise<string> {
  return new SignJWT({ access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }] })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer('ext')
    .setSubject('robot')
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(privateKey);
}

describe('token verifier with an external JWKS', () => {
  it('accepts tokens signed by a key in the JWKS file, follows changes to the file, refuses the rest', async () => {
    const dir = (await tempDir('jwks')).path;
    const path = join(dir, 'jwks.json');
    const first = keyPair('k1');
    const second = keyPair('k2');
    await writeFile(path, JSON.stringify({ keys: [first.jwk] }));
    let now = Date.now();
    const verifier = await TokenVerifier.create({ issuer: 'ext', service: 'svc', jwks: path, log, now: () => now });
    const exp = Math.floor(now / 1000) + 300;
    expect(await verifier.verify(await sign(first.privateKey, 'k1', exp))).to.deep.equal({
      subject: 'robot',
      issuer: 'ext',
      access: [{ type: 'repository', name: 'a/b', actions: ['pull'] }],
      builtin: false,
    });
    const bySecond = await sign(second.privateKey, 'k2', exp);
    let refused: Error | undefined;
    await verifier.verify(bySecond).catch((err: Error) => (refused = err));
    expect(refused?.message).to.match(/key/);
    // The operator adds the second key (and drops the first): seen within the file check interval.
    await writeFile(`${path}.new`, JSON.stringify({ keys: [second.jwk] }));
    await rename(`${path}.new`, path);
    now += 6_000;
    expect((await verifier.verify(bySecond)).subject).to.equal('robot');
    refused = undefined;
    await verifier.verify(await sign(first.privateKey, 'k1', exp)).catch((err: Error) => (refused = err));
    expect(refused, 'the dropped key no longer verifies').to.be.instanceOf(Error);
  });

  it('forgets a verified token when it expires (the cache is never more lenient than the token)', async () => {
    const dir = (await tempDir('jwks-exp')).path;
    const path = join(dir, 'jwks.json');
    const pair = keyPair('k');
    await writeFile(path, JSON.stringify({ keys: [pair.jwk] }));
    let now = Date.now();
    const verifier = await TokenVerifier.create({ issuer: 'ext', service: 'svc', jwks: path, log, now: () => now, clockToleranceS: 0 });
    const token = await sign(pair.privateKey, 'k', Math.floor(now / 1000) + 10);
    expect((await verifier.verify(token)).subject).to.equal('robot');
    now += 11_000;
    let refused: Error | undefined;
    await verifier.verify(token).catch((err: Error) => (refused = err));
    expect(refused?.message).to.equal('token expired');
  });

  it('refuses a JWKS file that is not one, naming it', async () => {
    const dir = (await tempDir('jwks-bad')).path;
    await writeFile(join(dir, 'bad.json'), '{"nokeys": true}');
    let error: Error | undefined;
    await TokenVerifier.create({ issuer: 'ext', service: 'svc', jwks: join(dir, 'bad.json'), log }).catch((err: Error) => (error = err));
    expect(error?.message).to.match(/^invalid configuration: auth\.token\.jwks: .*bad\.json is not a JWKS document/);
  });
});
