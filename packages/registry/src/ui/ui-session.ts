// UI sessions: a cookie holding who logged in and until when, signed with HMAC-SHA256 under a key kept in the
// store (so replicas sharing a store accept each other's sessions and a restart logs nobody out). Nothing is
// kept on the server per session. A session id comes with every visitor (also before login), and the CSRF token
// every form carries is an HMAC of it, so a token from one browser is worthless in another; logging in gives a
// new id (no fixation) and logging out replaces the cookie.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@private-registry/core';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';

/** Who a session belongs to: an htpasswd user or a robot (logged in with its token). */
export interface SessionSubject {
  kind: 'user' | 'robot';
  name: string;
}

export interface UiSession {
  id: string;
  subject?: SessionSubject;
  /** Milliseconds since the epoch. */
  expires: number;
}

export const SESSION_COOKIE = 'registry_ui_session';
/** A visitor's session without a login lasts a day; a login lasts ui.sessionttl. */
const ANONYMOUS_TTL_MS = 24 * 3600_000;
const KEY_BYTES = 32;

/** How often a signature that does not verify may send the signer back to the store for the key. */
const RELOAD_EVERY_MS = 5_000;

export class SessionSigner {
  private lastReload = 0;
  /** When the key is read once more (see settle); undefined once done, or when never asked for. */
  private settleAt: number | undefined;

  /**
   * @param reload reads the key from the store again: two processes that made a key at once (the first start of
   *   several workers or replicas) end up with the one that stayed, the first time a cookie of the other fails.
   */
  constructor(
    private key: Buffer,
    private readonly now: () => number = Date.now,
    private readonly reload?: () => Promise<Buffer | undefined>,
  ) {}

  /** Reads the key once more at the first UI request `afterMs` from now or later (see settle). */
  settleAfter(afterMs: number): void {
    this.settleAt = this.now() + afterMs;
  }

  /**
   * Workers or replicas started together on an empty store may each have made a key: the first UI request a
   * while after the start reads the one that stayed (once per process; nothing in the background, so a process
   * nobody browses never asks the store again).
   */
  async settle(): Promise<void> {
    if (this.settleAt === undefined || this.now() < this.settleAt) return;
    this.settleAt = undefined;
    await this.reloadKey();
  }

  /**
   * The session in a cookie that did not verify, after reading the key from the store again (at most every
   * RELOAD_EVERY_MS): undefined when it still does not.
   */
  async decodeWithReload(value: string | undefined): Promise<UiSession | undefined> {
    if (value === undefined || this.now() - this.lastReload < RELOAD_EVERY_MS) return undefined;
    return (await this.reloadKey()) ? this.decode(value) : undefined;
  }

  /** Reads the key from the store again; true when it changed. */
  async reloadKey(): Promise<boolean> {
    if (this.reload === undefined) return false;
    this.lastReload = this.now();
    const key = await this.reload().catch(() => undefined);
    if (key === undefined || key.equals(this.key)) return false;
    this.key = key;
    return true;
  }

  /** A fresh session (new id), for `subject` when given. */
  issue(ttlMs: number, subject?: SessionSubject): UiSession {
    return { id: randomBytes(16).toString('base64url'), ...(subject ? { subject } : {}), expires: this.now() + (subject ? ttlMs : ANONYMOUS_TTL_MS) };
  }

  encode(session: UiSession): string {
    const payload = Buffer.from(JSON.stringify({ i: session.id, s: session.subject ? [session.subject.kind === 'user' ? 'u' : 'r', session.subject.name] : undefined, e: session.expires })).toString('base64url');
    return `${payload}.${this.mac(`session|${payload}`)}`;
  }

  /** The session in `value` when its signature holds and it has not expired. */
  decode(value: string | undefined): UiSession | undefined {
    if (value === undefined || value.length > 2048) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const payload = value.slice(0, dot);
    if (!sameText(value.slice(dot + 1), this.mac(`session|${payload}`))) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { i?: unknown; s?: unknown; e?: unknown };
      if (typeof parsed.i !== 'string' || typeof parsed.e !== 'number' || parsed.e <= this.now()) return undefined;
      const session: UiSession = { id: parsed.i, expires: parsed.e };
      if (Array.isArray(parsed.s) && (parsed.s[0] === 'u' || parsed.s[0] === 'r') && typeof parsed.s[1] === 'string') {
        session.subject = { kind: parsed.s[0] === 'u' ? 'user' : 'robot', name: parsed.s[1] };
      }
      return session;
    } catch {
      return undefined;
    }
  }

  /** The CSRF token of a session: every state-changing form carries it. */
  csrfToken(session: UiSession): string {
    return this.mac(`csrf|${session.id}`);
  }

  checkCsrf(session: UiSession, token: string | undefined): boolean {
    return token !== undefined && sameText(token, this.csrfToken(session));
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url');
  }
}

/** Constant-time comparison of two strings (false, in constant time for equal lengths, when they differ). */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The signing key: read from the store, made there on first start. A store that cannot be written (read-only
 * mode, an outage) gets a key of this process only: logins then last until a restart and only on this replica.
 */
export async function loadSessionKey(driver: StorageDriver, options: { readOnly: boolean; log: Logger }): Promise<Buffer> {
  const path = pathFor({ kind: 'uiSessionKey' });
  const read = (): Promise<Buffer | undefined> => readSessionKey(driver);
  try {
    const stored = await read();
    if (stored !== undefined) return stored;
    if (!options.readOnly) {
      await driver.putContent(path, Buffer.from(randomBytes(KEY_BYTES).toString('base64url')));
      // Read back: when two replicas made one at once, both keep the one that stayed.
      const written = await read();
      if (written !== undefined) return written;
    }
  } catch (err) {
    options.log.warn({ err }, 'the web UI session key could not be read or kept in the store: UI logins last until this process stops and hold only here');
    return randomBytes(KEY_BYTES);
  }
  options.log.warn('the store is read-only: the web UI signs sessions with a key of this process (UI logins last until it stops and hold only here)');
  return randomBytes(KEY_BYTES);
}

/** The key kept in the store, when there is a valid one. */
export async function readSessionKey(driver: StorageDriver): Promise<Buffer | undefined> {
  try {
    const key = Buffer.from((await driver.getContent(pathFor({ kind: 'uiSessionKey' }))).toString('utf8').trim(), 'base64url');
    return key.length === KEY_BYTES ? key : undefined;
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
}

/** The value of cookie `name` in the request's Cookie header(s). */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value for a session: HttpOnly, SameSite=Lax, Secure under TLS, scoped to the UI's path. */
export function sessionCookie(value: string, options: { path: string; secure: boolean; maxAgeS: number }): string {
  return `${SESSION_COOKIE}=${value}; Path=${options.path}; Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
}
