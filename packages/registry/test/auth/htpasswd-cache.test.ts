// The verified-pair cache on its own: keyed by an HMAC (never the password), valid only for the hash it
// was verified against, for its TTL, and bounded in size with the least recently used pair going first.
import { expect } from 'chai';
import { VerifiedCredentialCache } from '../../src/auth/credential-cache.js';

const HASH = '$2y$04$abcdefghijklmnopqrstuu5Ka9H3N6N7Y5F6qW4b8yW6oE2uVq8Z2';
const OTHER = '$2y$04$abcdefghijklmnopqrstuu5Ka9H3N6N7Y5F6qW4b8yW6oE2uVq8Z3';

describe('htpasswd: the verified-pair cache', function () {
  it('keys a pair by an HMAC that holds neither the password nor a plain hash, different per process', function () {
    const cache = new VerifiedCredentialCache();
    const key = cache.keyOf('ann', 'hunter2');
    expect(key).to.not.include('hunter2');
    expect(key).to.equal(cache.keyOf('ann', 'hunter2'));
    expect(key).to.not.equal(new VerifiedCredentialCache().keyOf('ann', 'hunter2'));
  });

  it('holds a pair only for the hash it was verified against', function () {
    const cache = new VerifiedCredentialCache();
    const key = cache.keyOf('ann', 'pw');
    expect(cache.holds(key, HASH)).to.equal(false);
    cache.remember(key, HASH);
    expect(cache.holds(key, HASH)).to.equal(true);
    expect(cache.holds(key, OTHER)).to.equal(false);
    expect(cache.holds(key, HASH), 'a changed hash drops the entry').to.equal(false);
  });

  it('forgets a pair after its TTL', function () {
    let now = 1_000;
    const cache = new VerifiedCredentialCache({ ttlMs: 300_000, now: () => now });
    const key = cache.keyOf('ann', 'pw');
    cache.remember(key, HASH);
    now += 299_999;
    expect(cache.holds(key, HASH)).to.equal(true);
    now += 1;
    expect(cache.holds(key, HASH)).to.equal(false);
    expect(cache.size).to.equal(0);
  });

  it('keeps at most maxEntries pairs, evicting the least recently used', function () {
    const cache = new VerifiedCredentialCache({ maxEntries: 2 });
    const [a, b, c] = ['a', 'b', 'c'].map((user) => cache.keyOf(user, 'pw')) as [string, string, string];
    cache.remember(a, HASH);
    cache.remember(b, HASH);
    expect(cache.holds(a, HASH)).to.equal(true);
    cache.remember(c, HASH);
    expect(cache.size).to.equal(2);
    expect(cache.holds(b, HASH)).to.equal(false);
    expect(cache.holds(a, HASH)).to.equal(true);
    expect(cache.holds(c, HASH)).to.equal(true);
  });
});
