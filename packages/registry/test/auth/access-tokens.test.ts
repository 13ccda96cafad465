import { expect } from 'chai';
import { AccessTokenError, AccessTokens, ACCESS_TOKEN_CACHE_MS } from '../../src/auth/access-tokens.js';
import { parseHumanDuration } from '../../src/auth/human-duration.js';
import { robotRights } from '../../src/auth/robot-rights.js';
import { formatScope, parseScope } from '../../src/auth/token-scope-grant.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { expectRejected } from '../helpers/expect-rejected.js';

describe('robot access tokens', () => {
  it('creates a token whose secret verifies, stores only its hash, lists it without secrets', async () => {
    const driver = new MemoryDriver();
    const tokens = new AccessTokens(driver);
    const { secret, token } = await tokens.create({ name: 'ci-runner', scopes: [parseScope('ci/**:pull,push')], description: 'CI' });
    expect(secret).to.match(/^prt_[A-Za-z0-9_-]{43}$/);
    expect(token).to.include({ name: 'ci-runner', description: 'CI' });
    const verified = await tokens.verify('ci-runner', secret);
    expect(verified?.name).to.equal('ci-runner');
    expect(formatScope(verified?.grants[0] as never)).to.equal('ci/**:pull,push');
    const stored = (await driver.getContent('/private-registry/auth/access-tokens/ci-runner.json')).toString();
    expect(stored).to.not.include(secret);
    expect(stored).to.not.include(secret.slice(4, 20));
    const listed = await tokens.list();
    expect(listed.map((t) => t.name)).to.deep.equal(['ci-runner']);
    expect(JSON.stringify(listed)).to.not.include('sha256');
  });

  it('refuses a wrong secret, another name, an invalid name, and a duplicate', async () => {
    const tokens = new AccessTokens(new MemoryDriver());
    const { secret } = await tokens.create({ name: 'a', scopes: [parseScope('**:pull')] });
    expect(await tokens.verify('a', `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`)).to.equal(undefined);
    expect(await tokens.verify('b', secret)).to.equal(undefined);
    expect(await tokens.verify('../a', secret)).to.equal(undefined);
    expect(await tokens.verify('a', 'not-a-token')).to.equal(undefined);
    await expectRejected(tokens.create({ name: 'a', scopes: [parseScope('**:pull')] }), /exists/);
    for (const bad of ['../x', 'A', '', 'x/y', 'x'.repeat(65), '.hidden']) await expectRejected(tokens.create({ name: bad, scopes: [parseScope('**:pull')] }), /token name/);
  });

  it('refuses an expired token, and a revoked one once the read cache has passed', async () => {
    let now = Date.parse('2026-06-01T00:00:00Z');
    const driver = new MemoryDriver();
    const tokens = new AccessTokens(driver, () => now);
    const shortLived = await tokens.create({ name: 'short', scopes: [parseScope('**:pull')], expiresAt: new Date(now + 60_000) });
    expect(await tokens.verify('short', shortLived.secret)).to.not.equal(undefined);
    now += 60_001;
    expect(await tokens.verify('short', shortLived.secret)).to.equal(undefined);
    const kept = await tokens.create({ name: 'kept', scopes: [parseScope('**:pull')] });
    expect(await tokens.verify('kept', kept.secret)).to.not.equal(undefined);
    // Another process revokes it.
    expect(await new AccessTokens(driver, () => now).revoke('kept')).to.equal(true);
    expect(await tokens.verify('kept', kept.secret), 'still cached').to.not.equal(undefined);
    now += ACCESS_TOKEN_CACHE_MS;
    expect(await tokens.verify('kept', kept.secret)).to.equal(undefined);
    expect(await tokens.revoke('kept')).to.equal(false);
    expect(await tokens.grantsOf('kept')).to.equal(undefined);
  });

  it('answers a corrupt token file with TOKEN_CORRUPT, and still revokes it', async () => {
    const driver = new MemoryDriver();
    const tokens = new AccessTokens(driver);
    const { secret } = await tokens.create({ name: 'good', scopes: [parseScope('**:pull')] });
    const file = (name: string): string => `/private-registry/auth/access-tokens/${name}.json`;
    const good = JSON.parse((await driver.getContent(file('good'))).toString()) as Record<string, unknown>;
    const broken: Record<string, string> = {
      truncated: '{"name": "truncated", "sha2',
      nulled: 'null',
      'bad-hash': JSON.stringify({ ...good, name: 'bad-hash', sha256: 'xyz' }),
      'bad-scope': JSON.stringify({ ...good, name: 'bad-scope', scopes: ['ci/**:fly'] }),
    };
    for (const [name, text] of Object.entries(broken)) {
      await driver.putContent(file(name), Buffer.from(text));
      const error = await rejection(tokens.verify(name, secret));
      expect(error, name).to.be.instanceOf(AccessTokenError);
      expect((error as AccessTokenError).code, name).to.equal('TOKEN_CORRUPT');
      expect(error?.message, name).to.equal(`the stored access token "${name}" is not readable; revoke it and create it again`);
      expect(await tokens.revoke(name), name).to.equal(true);
      expect(await tokens.verify(name, secret), name).to.equal(undefined);
    }
    expect((await tokens.list()).map((t) => t.name)).to.deep.equal(['good']);
  });

  it('reads scopes and refuses what it cannot use', () => {
    expect(formatScope(parseScope('cache/*:pull,push,overwrite,delete'))).to.equal('cache/*:pull,push,overwrite,delete');
    expect(formatScope(parseScope('**:admin'))).to.equal('**:admin');
    for (const bad of ['ci/**', ':pull', 'CI/**:pull', 'ci/**:', 'ci/**:pull,fly', 'ci/**:*', '../x:pull']) expect(() => parseScope(bad), bad).to.throw(/scope/);
  });

  it('unites the grants whose glob matches', () => {
    const grants = [parseScope('ci/**:pull'), parseScope('ci/app:push'), parseScope('cache/*:delete')];
    expect([...robotRights(grants, 'ci/app').actions].sort()).to.deep.equal(['pull', 'push']);
    expect([...robotRights(grants, 'ci/other').actions]).to.deep.equal(['pull']);
    expect([...robotRights(grants, 'cache/a/b').actions]).to.deep.equal([]);
  });

  it('reads lifetimes: 30m, 12h, 90d, 2w, 1y, never', () => {
    expect(parseHumanDuration('30m')).to.equal(30 * 60_000);
    expect(parseHumanDuration('90d')).to.equal(90 * 86_400_000);
    expect(parseHumanDuration('1y')).to.equal(365 * 86_400_000);
    expect(parseHumanDuration('never')).to.equal(null);
    for (const bad of ['', '0d', '5', 'd', '1.5d', '-1d', '10s']) expect(parseHumanDuration(bad), bad).to.equal(undefined);
  });
});

async function rejection(promise: Promise<unknown>): Promise<Error | undefined> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  return undefined;
}
