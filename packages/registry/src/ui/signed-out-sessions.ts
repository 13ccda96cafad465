// Sessions signed out before they expired. A signed cookie verifies until its expiry whatever the server does, so
// a copy of it (a shared machine, a proxy log) would outlive the logout: a logout therefore records the session in
// the store (`/private-registry/ui/signed-out/<hash of its id>`, holding its expiry) and every process refuses it,
// at once in the process that logged it out and within CHECK_TTL_MS in the others, which look a signed-in
// session up at most that often. Records of expired sessions are removed by a later logout, at most hourly.
import { createHash } from 'node:crypto';
import type { Logger } from '@private-registry/core';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { deleteIfPresent, existsAt } from '../services/link-files.js';
import type { UiSession } from './ui-session.js';

/** How long a look that found a session not signed out holds in this process. */
export const CHECK_TTL_MS = 5_000;
/** How often a logout also removes the records of sessions that have expired. */
export const SWEEP_EVERY_MS = 3_600_000;
/** Sessions whose last look is remembered; past this the oldest looks are dropped (and simply made again). */
const MAX_CHECKED = 10_000;

export interface SignedOutOptions {
  /** storage.maintenance.readOnly: logouts are kept by this process only. */
  readOnly: boolean;
  log: Logger;
  now?: () => number;
}

/** The store's name for a session: a hash of its id, so the store never holds a live id. */
export function signedOutKey(sessionId: string): string {
  return createHash('sha256').update(`ui-session|${sessionId}`).digest('hex').slice(0, 40);
}

export class SignedOutSessions {
  /** Sessions known to be signed out (id → expiry): this process's logouts and those found in the store. */
  private readonly known = new Map<string, number>();
  /** Sessions found not signed out (id → when that was looked up). */
  private readonly checked = new Map<string, number>();
  private lastSweep = 0;
  private warnedUnreadable = false;
  private readonly now: () => number;

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: SignedOutOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether `session` was signed out. A store that cannot be read answers no (the cookie's signature and expiry
   * still hold, and an administrator can still reach the status page in an outage); that is logged once.
   */
  async isSignedOut(session: UiSession): Promise<boolean> {
    if (this.known.has(session.id)) return true;
    const now = this.now();
    const lookedAt = this.checked.get(session.id);
    if (lookedAt !== undefined && now - lookedAt < CHECK_TTL_MS) return false;
    let recorded: boolean;
    try {
      recorded = await existsAt(this.driver, pathFor({ kind: 'uiSignedOut', key: signedOutKey(session.id) }));
    } catch (err) {
      if (!this.warnedUnreadable) this.options.log.warn({ err }, 'the web UI could not read the signed-out sessions from the store: logouts made elsewhere are not seen until it can');
      this.warnedUnreadable = true;
      return false;
    }
    this.warnedUnreadable = false;
    this.checked.delete(session.id);
    if (recorded) {
      this.remember(session, now);
      return true;
    }
    this.checked.set(session.id, now);
    if (this.checked.size > MAX_CHECKED) this.checked.delete(this.checked.keys().next().value as string);
    return false;
  }

  /** Keeps `session` as signed out in this process, and forgets those that have expired by `now`. */
  private remember(session: UiSession, now: number): void {
    for (const [id, expires] of this.known) if (expires <= now) this.known.delete(id);
    this.known.set(session.id, session.expires);
  }

  /** Records the logout of `session`: refused here at once, by the other processes once they look again. */
  async signOut(session: UiSession): Promise<void> {
    const now = this.now();
    this.remember(session, now);
    this.checked.delete(session.id);
    if (this.options.readOnly) return;
    try {
      await this.driver.putContent(pathFor({ kind: 'uiSignedOut', key: signedOutKey(session.id) }), Buffer.from(String(session.expires)));
    } catch (err) {
      this.options.log.warn({ err }, 'a web UI logout could not be recorded in the store: this process refuses the session, others accept it until it expires');
      return;
    }
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      await this.sweep(now).catch((err: unknown) => this.options.log.warn({ err }, 'expired web UI logouts could not be removed from the store'));
    }
  }

  /** Removes the records of sessions expired by `now`; returns how many. */
  async sweep(now = this.now()): Promise<number> {
    let entries: string[];
    try {
      entries = await this.driver.list(pathFor({ kind: 'uiSignedOutRoot' }));
    } catch (err) {
      if (isPathNotFound(err)) return 0;
      throw err;
    }
    let removed = 0;
    for (const path of entries) {
      const expires = Number((await this.driver.getContent(path).catch(() => Buffer.from(''))).toString('utf8'));
      // An unreadable or unparsable record is left: it costs a lookup, never a wrongly accepted session.
      // Another replica's sweep may have removed it meanwhile: not an error.
      if (Number.isFinite(expires) && expires > 0 && expires <= now && (await deleteIfPresent(this.driver, path))) removed += 1;
    }
    return removed;
  }
}
