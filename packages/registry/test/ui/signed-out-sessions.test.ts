// Logouts kept in the store: refused at once where made and within CHECK_TTL_MS elsewhere, kept as a hash of the
// session id, removed once the session would have expired, and a store that cannot be read or written.
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { pathFor } from '../../src/storage/path-spec.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { StorageUnavailableError } from '../../src/storage/storage-errors.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { CHECK_TTL_MS, SignedOutSessions, signedOutKey, SWEEP_EVERY_MS } from '../../src/ui/signed-out-sessions.js';
import type { UiSession } from '../../src/ui/ui-session.js';

const HOUR = 3_600_000;

function session(id: string, expires: number): UiSession {
  return { id, expires, subject: { kind: 'user', name: 'alice' } };
}

/** A log that keeps its warn lines. */
function recordingLog(): { log: ReturnType<typeof createLogger>; warnings: string[] } {
  const warnings: string[] = [];
  const log = createLogger({ level: 'silent' });
  log.warn = ((...args: unknown[]) => {
    warnings.push(String(args.find((a) => typeof a === 'string')));
  }) as typeof log.warn;
  return { log, warnings };
}

describe('signed-out web UI sessions', function () {
  let now: number;
  const clock = (): number => now;
  beforeEach(() => {
    now = 1_700_000_000_000;
  });

  it('refuses a session at once where it was signed out, and in another process once its last look is CHECK_TTL_MS old', async function () {
    const driver = new MemoryDriver();
    const { log } = recordingLog();
    const here = new SignedOutSessions(driver, { readOnly: false, log, now: clock });
    const there = new SignedOutSessions(driver, { readOnly: false, log, now: clock });
    const mine = session('aaaaaaaaaaaaaaaaaaaaaa', now + HOUR);
    const other = session('bbbbbbbbbbbbbbbbbbbbbb', now + HOUR);
    expect(await there.isSignedOut(mine)).to.equal(false);
    await here.signOut(mine);
    expect(await here.isSignedOut(mine)).to.equal(true);
    now += CHECK_TTL_MS - 1;
    expect(await there.isSignedOut(mine), 'its look still holds').to.equal(false);
    now += 1;
    expect(await there.isSignedOut(mine)).to.equal(true);
    expect(await there.isSignedOut(other)).to.equal(false);
    expect(await new SignedOutSessions(driver, { readOnly: false, log, now: clock }).isSignedOut(mine), 'a process that never looked').to.equal(true);
  });

  it('keeps a hash of the id in the store, with the expiry', async function () {
    const driver = new MemoryDriver();
    const id = 'Zm9vYmFyLWlkLW9mLXRlc3Q';
    await new SignedOutSessions(driver, { readOnly: false, log: recordingLog().log, now: clock }).signOut(session(id, now + HOUR));
    const paths = await driver.list(pathFor({ kind: 'uiSignedOutRoot' }));
    expect(paths).to.deep.equal([pathFor({ kind: 'uiSignedOut', key: signedOutKey(id) })]);
    expect(paths[0]).to.not.include(id);
    expect((await driver.getContent(paths[0] as string)).toString()).to.equal(String(now + HOUR));
    expect(() => pathFor({ kind: 'uiSignedOut', key: '../session-key' })).to.throw(/not a signed-out session key/);
  });

  it('removes the records of expired sessions at a logout, at most once per SWEEP_EVERY_MS', async function () {
    const driver = new MemoryDriver();
    const sessions = new SignedOutSessions(driver, { readOnly: false, log: recordingLog().log, now: clock });
    await sessions.signOut(session('cccccccccccccccccccccc', now + HOUR));
    await sessions.signOut(session('dddddddddddddddddddddd', now + 3 * HOUR));
    const records = (): Promise<string[]> => driver.list(pathFor({ kind: 'uiSignedOutRoot' })).catch(() => []);
    expect(await records()).to.have.lengthOf(2);
    now += 2 * HOUR;
    // The first logout swept (nothing had expired); this one, 2 h later, removes the session expired meanwhile.
    await sessions.signOut(session('eeeeeeeeeeeeeeeeeeeeee', now + HOUR));
    expect(await records()).to.have.lengthOf(2);
    expect(await records()).to.not.include(pathFor({ kind: 'uiSignedOut', key: signedOutKey('cccccccccccccccccccccc') }));
    now += SWEEP_EVERY_MS - 1;
    await sessions.signOut(session('ffffffffffffffffffffff', now + HOUR));
    expect(await records()).to.have.lengthOf(3, 'within the hour: no sweep');
    now += 2 * HOUR;
    expect(await sessions.sweep()).to.equal(3);
    expect(await records()).to.have.lengthOf(0);
  });

  it('in read-only mode keeps a logout in this process only', async function () {
    const driver = new MemoryDriver();
    const sessions = new SignedOutSessions(driver, { readOnly: true, log: recordingLog().log, now: clock });
    const mine = session('gggggggggggggggggggggg', now + HOUR);
    await sessions.signOut(mine);
    expect(await sessions.isSignedOut(mine)).to.equal(true);
    expect(await driver.list('/').catch(() => [])).to.deep.equal([]);
  });

  it('answers "not signed out" when the store cannot be read, and says so once; a failed write still refuses here', async function () {
    const driver = new MemoryDriver();
    const unavailable = (): never => {
      throw new StorageUnavailableError('inmemory', '/private-registry/ui/signed-out', 'down for the test');
    };
    const failing = new Proxy(driver, {
      get: (target, property) => (property === 'stat' || property === 'putContent' ? async () => unavailable() : Reflect.get(target, property, target)),
    }) as StorageDriver;
    const { log, warnings } = recordingLog();
    const sessions = new SignedOutSessions(failing, { readOnly: false, log, now: clock });
    const a = session('hhhhhhhhhhhhhhhhhhhhhh', now + HOUR);
    expect(await sessions.isSignedOut(a)).to.equal(false);
    expect(await sessions.isSignedOut(session('iiiiiiiiiiiiiiiiiiiiii', now + HOUR))).to.equal(false);
    expect(warnings.filter((w) => w.includes('could not read the signed-out sessions'))).to.have.lengthOf(1);
    await sessions.signOut(a);
    expect(warnings.some((w) => w.includes('could not be recorded in the store'))).to.equal(true);
    expect(await sessions.isSignedOut(a)).to.equal(true);
  });
});
