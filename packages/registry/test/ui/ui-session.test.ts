// UI sessions: a signed cookie that cannot be forged, altered or kept past its expiry; a CSRF token worth
// something only with its own session; the cookie's attributes; one signing key per store, made once.
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { pathFor } from '../../src/storage/path-spec.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { loadSessionKey, readCookie, SESSION_COOKIE, sessionCookie, SessionSigner, type UiSession } from '../../src/ui/ui-session.js';
import { capturedLog } from '../auth/htpasswd-test-helpers.js';

const HOUR = 3_600_000;

/** A signer whose clock the test moves. */
function clockedSigner(key = randomBytes(32)): { signer: SessionSigner; clock: { now: number } } {
  const clock = { now: Date.UTC(2026, 0, 1) };
  return { signer: new SessionSigner(key, () => clock.now), clock };
}

/** A cookie value signed with `key` around an arbitrary payload text (what only the key's holder can make). */
function signedWith(key: Buffer, payloadText: string): string {
  const payload = Buffer.from(payloadText).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(`session|${payload}`).digest('base64url')}`;
}

function requestWithCookie(header: string | undefined): IncomingMessage {
  return { headers: header === undefined ? {} : { cookie: header } } as IncomingMessage;
}

describe('ui sessions', function () {
  describe('the signed cookie', function () {
    it('decodes what it encoded: a user, a robot, and a visitor without a login', function () {
      const { signer } = clockedSigner();
      const user = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      const robot = signer.issue(HOUR, { kind: 'robot', name: 'ci-bot' });
      const visitor = signer.issue(HOUR);
      for (const session of [user, robot, visitor]) expect(signer.decode(signer.encode(session))).to.deep.equal(session);
      expect(visitor.subject).to.equal(undefined);
    });

    it('gives every session a new random id; a login lasts the TTL, a visitor a day', function () {
      const { signer, clock } = clockedSigner();
      const a = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      const b = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      expect(a.id).to.match(/^[A-Za-z0-9_-]{22}$/);
      expect(a.id).to.not.equal(b.id);
      expect(a.expires).to.equal(clock.now + HOUR);
      expect(signer.issue(HOUR).expires).to.equal(clock.now + 24 * HOUR);
    });

    it('refuses a payload changed after signing (another user named in it)', function () {
      const { signer } = clockedSigner();
      const value = signer.encode(signer.issue(HOUR, { kind: 'user', name: 'reader' }));
      const [, signature] = value.split('.');
      const forged = Buffer.from(JSON.stringify({ i: 'x', s: ['u', 'admin'], e: Date.UTC(2030, 0, 1) })).toString('base64url');
      expect(signer.decode(`${forged}.${signature}`)).to.equal(undefined);
      const payload = value.slice(0, value.indexOf('.'));
      const flipped = `${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}`;
      expect(signer.decode(`${flipped}.${signature}`)).to.equal(undefined);
    });

    it('refuses a changed, missing or foreign signature', function () {
      const { signer } = clockedSigner();
      const session = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      const value = signer.encode(session);
      const last = value.at(-1) === 'A' ? 'B' : 'A';
      expect(signer.decode(`${value.slice(0, -1)}${last}`)).to.equal(undefined);
      expect(signer.decode(value.slice(0, value.indexOf('.') + 1))).to.equal(undefined);
      expect(signer.decode(value.slice(0, value.indexOf('.')))).to.equal(undefined);
      expect(new SessionSigner(randomBytes(32)).decode(value), 'another key').to.equal(undefined);
      expect(signer.decode(value)).to.deep.equal(session);
    });

    it('refuses garbage: nothing, empty, no payload, oversized, and well-signed payloads that are not a session', function () {
      const key = randomBytes(32);
      const { signer } = clockedSigner(key);
      for (const value of [undefined, '', '.', '.abc', 'x'.repeat(3000)]) expect(signer.decode(value), String(value)).to.equal(undefined);
      for (const payload of ['not json', '[]', '{"i":1,"e":4102444800000}', '{"i":"a","e":"4102444800000"}', '{"i":"a"}']) {
        expect(signer.decode(signedWith(key, payload)), payload).to.equal(undefined);
      }
      expect(signer.decode(signedWith(key, '{"i":"a","e":4102444800000}'))).to.deep.equal({ id: 'a', expires: 4102444800000 });
      // An unknown subject kind is no subject: the session is a visitor's.
      expect(signer.decode(signedWith(key, '{"i":"a","s":["x","admin"],"e":4102444800000}'))).to.deep.equal({ id: 'a', expires: 4102444800000 });
    });

    it('refuses a session once it has expired', function () {
      const { signer, clock } = clockedSigner();
      const value = signer.encode(signer.issue(HOUR, { kind: 'user', name: 'alice' }));
      clock.now += HOUR - 1;
      expect(signer.decode(value)?.subject?.name).to.equal('alice');
      clock.now += 1;
      expect(signer.decode(value)).to.equal(undefined);
    });
  });

  describe('CSRF tokens', function () {
    it("accepts a session's own token and refuses another session's, another key's, or none", function () {
      const { signer } = clockedSigner();
      const mine = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      const theirs = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      const token = signer.csrfToken(mine);
      expect(token).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(signer.checkCsrf(mine, token)).to.equal(true);
      expect(signer.checkCsrf(theirs, token)).to.equal(false);
      expect(signer.checkCsrf(theirs, signer.csrfToken(theirs))).to.equal(true);
      expect(signer.checkCsrf(mine, new SessionSigner(randomBytes(32)).csrfToken(mine))).to.equal(false);
      for (const bad of [undefined, '', token.slice(0, -1), `${token}x`]) expect(signer.checkCsrf(mine, bad), String(bad)).to.equal(false);
    });

    it('binds the token to the session id, not to who is logged in (a login changes the id, so the token)', function () {
      const { signer } = clockedSigner();
      const before: UiSession = signer.issue(HOUR);
      const after: UiSession = signer.issue(HOUR, { kind: 'user', name: 'alice' });
      expect(signer.csrfToken({ ...before, subject: { kind: 'user', name: 'alice' } })).to.equal(signer.csrfToken(before));
      expect(signer.checkCsrf(after, signer.csrfToken(before))).to.equal(false);
    });
  });

  describe('the cookie header', function () {
    it('is HttpOnly, SameSite=Lax, scoped to the UI path, with Max-Age in whole seconds; Secure only under TLS', function () {
      expect(sessionCookie('v.s', { path: '/ui/', secure: false, maxAgeS: 3600.9 })).to.equal(`${SESSION_COOKIE}=v.s; Path=/ui/; Max-Age=3600; HttpOnly; SameSite=Lax`);
      expect(sessionCookie('v.s', { path: '/registry/ui/', secure: true, maxAgeS: 60 })).to.equal(`${SESSION_COOKIE}=v.s; Path=/registry/ui/; Max-Age=60; HttpOnly; SameSite=Lax; Secure`);
      expect(sessionCookie('v.s', { path: '/ui/', secure: false, maxAgeS: -5 })).to.include('Max-Age=0;');
    });

    it('reads its cookie among others, and nothing from a request without it', function () {
      expect(readCookie(requestWithCookie(`theme=dark; ${SESSION_COOKIE}=abc.def ;other=1`), SESSION_COOKIE)).to.equal('abc.def');
      expect(readCookie(requestWithCookie(`x${SESSION_COOKIE}=no; theme=dark`), SESSION_COOKIE)).to.equal(undefined);
      expect(readCookie(requestWithCookie('broken; theme=dark'), SESSION_COOKIE)).to.equal(undefined);
      expect(readCookie(requestWithCookie(undefined), SESSION_COOKIE)).to.equal(undefined);
    });
  });

  describe('the signing key', function () {
    it('is made once in the store; another replica on the same store reads the same key', async function () {
      const driver = new MemoryDriver();
      const { log } = capturedLog();
      const first = await loadSessionKey(driver, { readOnly: false, log });
      expect(first.length).to.equal(32);
      const stored = (await driver.getContent(pathFor({ kind: 'uiSessionKey' }))).toString('utf8');
      expect(Buffer.from(stored, 'base64url').equals(first)).to.equal(true);
      const second = await loadSessionKey(driver, { readOnly: false, log });
      expect(second.equals(first)).to.equal(true);
      // A cookie one replica signs, the other accepts.
      const session = new SessionSigner(first).issue(HOUR, { kind: 'user', name: 'alice' });
      expect(new SessionSigner(second).decode(new SessionSigner(first).encode(session))).to.deep.equal(session);
    });

    it('ends with one key when two replicas start on an empty store at once', async function () {
      const driver = new MemoryDriver();
      const { log } = capturedLog();
      const [a, b] = await Promise.all([loadSessionKey(driver, { readOnly: false, log }), loadSessionKey(driver, { readOnly: false, log })]);
      expect(a.equals(b)).to.equal(true);
      expect((await loadSessionKey(driver, { readOnly: false, log })).equals(a)).to.equal(true);
    });

    it('replaces a stored key of the wrong length', async function () {
      const driver = new MemoryDriver();
      const { log } = capturedLog();
      await driver.putContent(pathFor({ kind: 'uiSessionKey' }), Buffer.from('c2hvcnQ'));
      const key = await loadSessionKey(driver, { readOnly: false, log });
      expect(key.length).to.equal(32);
      expect((await loadSessionKey(driver, { readOnly: false, log })).equals(key)).to.equal(true);
    });

    it('on a read-only store without a key, uses a key of this process and warns', async function () {
      const driver = new MemoryDriver();
      const captured = capturedLog();
      const a = await loadSessionKey(driver, { readOnly: true, log: captured.log });
      const b = await loadSessionKey(driver, { readOnly: true, log: captured.log });
      expect(a.length).to.equal(32);
      expect(a.equals(b), 'each process start makes its own').to.equal(false);
      const written = await driver.stat(pathFor({ kind: 'uiSessionKey' })).then(() => true, () => false);
      expect(written, 'no key written').to.equal(false);
      const warnings = captured.records().filter((r) => r['level'] === 40 || r['level'] === 'warn');
      expect(warnings).to.have.length(2);
      expect(String(warnings[0]?.['msg'])).to.match(/read-only.*key of this process/);
    });

    it('on a read-only store that has a key, uses that key without a warning', async function () {
      const driver = new MemoryDriver();
      const made = await loadSessionKey(driver, { readOnly: false, log: capturedLog().log });
      const captured = capturedLog();
      expect((await loadSessionKey(driver, { readOnly: true, log: captured.log })).equals(made)).to.equal(true);
      expect(captured.text()).to.not.match(/session/);
    });

    it('when the store refuses the write, uses a key of this process and warns with the error', async function () {
      const driver = new MemoryDriver();
      driver.putContent = async () => {
        throw new Error('disk full');
      };
      const captured = capturedLog();
      const key = await loadSessionKey(driver, { readOnly: false, log: captured.log });
      expect(key.length).to.equal(32);
      expect(captured.text()).to.include('disk full').and.match(/session key could not be read or kept/);
    });
  });
});

describe('ui session keys made at once by two processes', function () {
  it('a process whose key lost reads the one that stayed when a cookie signed with it arrives, at most every 5 s', async function () {
    const stayed = randomBytes(32);
    const lost = randomBytes(32);
    let now = 1_000_000;
    let reads = 0;
    const winner = new SessionSigner(stayed, () => now);
    const loser = new SessionSigner(lost, () => now, async () => {
      reads += 1;
      return stayed;
    });
    const cookie = winner.encode(winner.issue(60_000, { kind: 'user', name: 'ops' }));
    expect(loser.decode(cookie), 'not with the key it made').to.equal(undefined);
    const session = await loser.decodeWithReload(cookie);
    expect(session?.subject).to.deep.equal({ kind: 'user', name: 'ops' });
    expect(reads).to.equal(1);
    // From now on it signs with the key that stayed: the winner accepts its cookies.
    expect(winner.decode(loser.encode(loser.issue(60_000)))).to.not.equal(undefined);
    // A forged cookie does not send it to the store on every request.
    expect(await loser.decodeWithReload('forged.cookie')).to.equal(undefined);
    expect(reads, 'within 5 s of the last read').to.equal(1);
    now += 5_000;
    expect(await loser.decodeWithReload('forged.cookie')).to.equal(undefined);
    expect(reads).to.equal(2);
  });

  it('reloadKey adopts the stored key and says whether it changed', async function () {
    const stored = randomBytes(32);
    const signer = new SessionSigner(randomBytes(32), Date.now, async () => stored);
    expect(await signer.reloadKey()).to.equal(true);
    expect(await signer.reloadKey()).to.equal(false);
    expect(new SessionSigner(stored).decode(signer.encode(signer.issue(1000)))).to.not.equal(undefined);
  });
});

describe('ui session key settling at the first request', function () {
  it('reads the stored key once, at the first UI request after the settle time, and never in between', async function () {
    const stored = randomBytes(32);
    let now = 0;
    let reads = 0;
    const signer = new SessionSigner(randomBytes(32), () => now, async () => {
      reads += 1;
      return stored;
    });
    signer.settleAfter(2_000);
    await signer.settle();
    expect(reads, 'too early: nothing read').to.equal(0);
    now = 2_000;
    await signer.settle();
    await signer.settle();
    expect(reads, 'once').to.equal(1);
    expect(new SessionSigner(stored, () => now).decode(signer.encode(signer.issue(1000))), 'it signs with the stored key').to.not.equal(undefined);
  });
});
