// An in-process registry with the web UI over the memory driver, on 127.0.0.1, plus a browser of one cookie
// that follows no redirect: the UI tests drive the handler over HTTP the way a browser without JavaScript does.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createLogger, type Logger } from '@private-registry/core';
import { renderToString } from 'preact-render-to-string';
import { createRegistryApp } from '../../src/app.js';
import { createAccessControl, type AccessControl } from '../../src/auth/auth-setup.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import type { RegistryServices } from '../../src/services/registry-services.js';
import { StorageReadiness } from '../../src/storage/storage-readiness.js';
import { createUiHandler } from '../../src/ui/ui-handler.js';
import type { UiAssets } from '../../src/ui/ui-assets.js';
import { SESSION_COOKIE, SessionSigner } from '../../src/ui/ui-session.js';
import { SignedOutSessions } from '../../src/ui/signed-out-sessions.js';
import { ErrorPage } from '../../src/ui/pages/simple-pages.js';
import { UiPaths } from '../../src/ui/ui-routes.js';
import { RegistryApiClient, type RequestOptions, type ApiResponse } from '../api/api-client.js';
import { parse, withVersion } from '../config/config-test-helpers.js';
import { bcryptLine } from '../auth/htpasswd-test-helpers.js';

/** Why the pages could not be rendered as this test run compiles them (undefined when they can): the JSX runtime check. */
export const JSX_RUNTIME_PROBLEM: string | undefined = (() => {
  try {
    const ctx = { paths: new UiPaths('/ui'), viewer: { authOn: false, canLogIn: false, admin: false, csrf: 'x' }, assets: {}, version: 'probe', here: '/ui/', deletesPossible: false, readOnly: false };
    renderToString(ErrorPage({ ctx, status: 404, title: 'Probe', message: 'probe' }));
    return undefined;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
})();

/** Assets as a build would make them (the tests do not depend on `npm run build`). */
export const TEST_ASSETS: UiAssets = {
  css: 'app.0123abcd.css',
  js: 'app.4567ef01.js',
  files: new Map([
    ['app.0123abcd.css', { body: Buffer.from('body{margin:0}\n'), type: 'text/css; charset=utf-8' }],
    ['app.4567ef01.js', { body: Buffer.from('console.log(1);\n'), type: 'text/javascript; charset=utf-8' }],
  ]),
};

export interface UiRegistryOptions {
  deleteEnabled?: boolean;
  /** storage.maintenance.readonly.enabled (nothing can be pushed then). */
  readOnly?: boolean;
  /** htpasswd users (name → password) and the access rules (as `auth.access` in YAML); none: an open registry. */
  users?: Record<string, string>;
  access?: string;
  sessionTtlMs?: number;
  /** http.host: the public URL pull commands name. */
  publicHost?: string;
  /** A replica of this registry: its store and session key (the users are given again). */
  replicaOf?: UiRegistry;
}

export interface UiRegistry {
  url: string;
  driver: MemoryDriver;
  /** The session signing key (what replicas share through the store). */
  sessionKey: Buffer;
  services: RegistryServices;
  /** Pushes through the API (as the htpasswd user `pusher`, when auth is on). */
  api: RegistryApiClient;
  /** Where the htpasswd file is (auth only), to rewrite it. */
  htpasswdPath?: string;
  log: Logger;
  browser(): UiBrowser;
  /** The CSRF token of `browser`'s current session (what its pages' forms carry). */
  csrfFor(browser: UiBrowser): string;
  close(): Promise<void>;
}

/** The user the fixture pushes as when auth is on: may do everything everywhere. */
const PUSHER = { user: 'pusher', password: `pusher-${randomBytes(6).toString('hex')}` };

export async function startUiRegistry(options: UiRegistryOptions = {}): Promise<UiRegistry> {
  const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const driver = options.replicaOf?.driver ?? new MemoryDriver();
  let access: AccessControl | undefined;
  let dir: string | undefined;
  let htpasswdPath: string | undefined;
  if (options.users !== undefined) {
    dir = await mkdtemp(join(tmpdir(), 'ui-test-'));
    htpasswdPath = join(dir, 'htpasswd');
    await writeHtpasswd(htpasswdPath, { ...options.users, [PUSHER.user]: PUSHER.password });
    const rules = `  access:\n    - repository: ["**"]\n      users: [${PUSHER.user}]\n      actions: [pull, push, overwrite, delete]\n${options.access ?? ''}`;
    const { config } = parse(withVersion(`auth:\n  htpasswd:\n    path: ${htpasswdPath}\n${rules}`));
    if (config.auth === undefined) throw new Error('the test configuration has no auth section');
    // Robot tokens (AccessTokens) live in the store: the gate reads them from the same driver.
    access = await createAccessControl(config.auth, { driver, log, http: config.http });
  }
  const sessionKey = options.replicaOf?.sessionKey ?? randomBytes(32);
  const signer = new SessionSigner(sessionKey);
  const signedOut = new SignedOutSessions(driver, { readOnly: options.readOnly ?? false, log });
  const readiness = new StorageReadiness(driver, log);
  const { app, services } = createRegistryApp({
    driver,
    policy: { deleteEnabled: options.deleteEnabled ?? false, readOnly: options.readOnly ?? false, catalogMaxEntries: 1000 },
    urls: { relative: false, tls: false, ...(options.publicHost ? { host: options.publicHost } : {}) },
    log,
    accessLog: false,
    ...(access ? { access: access.gate } : {}),
    ui: (uiServices, urls) =>
      createUiHandler({
        services: uiServices,
        log,
        ...(access ? { access: access.gate } : {}),
        prefix: urls.prefix,
        urls,
        sessionTtlMs: options.sessionTtlMs ?? 3_600_000,
        signer,
        signedOut,
        assets: TEST_ASSETS,
        status: {
          readiness,
          storage: { driver: 'inmemory', where: 'inmemory' },
          gc: { enabled: false, intervalMs: 86_400_000, gracePeriodMs: 3_600_000, deleteUntagged: false, dryRun: false, lockExpiryMs: 120_000, etcd: undefined, retention: [] },
          upstreams: [],
          version: '0.0.0-test',
          startedAt: new Date(),
          workers: 1,
        },
        version: '0.0.0-test',
      }),
  });
  const server = await listenLoopback(app);
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    driver,
    sessionKey,
    services,
    api: access === undefined ? new RegistryApiClient(url) : new BasicAuthClient(url, PUSHER.user, PUSHER.password),
    ...(htpasswdPath ? { htpasswdPath } : {}),
    log,
    browser: () => new UiBrowser(url),
    csrfFor: (browser) => {
      const session = signer.decode(browser.cookie);
      if (session === undefined) throw new Error('the browser has no valid session cookie');
      return signer.csrfToken(session);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      access?.close();
      readiness.close();
      await services.pulls?.close();
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Writes an htpasswd file of bcrypt lines (cost 4) for `users` (name → password). */
export async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const lines = await Promise.all(Object.entries(users).map(([user, password]) => bcryptLine(user, password)));
  await writeFile(path, `${lines.join('\n')}\n`);
}

/** The fixture's pusher, for rewriting the htpasswd file without locking the fixture out of its own API. */
export const FIXTURE_PUSHER: Readonly<{ user: string; password: string }> = PUSHER;

function listenLoopback(app: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/** The API client with Basic credentials on every request. */
export class BasicAuthClient extends RegistryApiClient {
  private readonly authorization: string;

  constructor(baseUrl: string, user: string, password: string) {
    super(baseUrl);
    this.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  override request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return super.request(method, pathOrUrl, { ...options, headers: { Authorization: this.authorization, ...options.headers } });
  }
}

export interface UiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The Set-Cookie of the session, when the answer set one. */
  sessionCookie: string | undefined;
  location: string | null;
}

/** A browser of one session cookie: no redirect followed, no script run. */
export class UiBrowser {
  /** The session cookie's value, as the browser would send it back. */
  cookie: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: { form?: Record<string, string> | string; headers?: Record<string, string> } = {}): Promise<UiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookie !== undefined) headers['Cookie'] = `${SESSION_COOKIE}=${this.cookie}`;
    let body: string | undefined;
    if (options.form !== undefined) {
      body = typeof options.form === 'string' ? options.form : new URLSearchParams(options.form).toString();
      headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    }
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body }) });
    const text = method === 'HEAD' ? '' : await response.text();
    const sessionCookie = response.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (sessionCookie !== undefined) {
      const value = sessionCookie.slice(SESSION_COOKIE.length + 1).split(';', 1)[0] as string;
      this.cookie = /;\s*Max-Age=0(;|$)/i.test(sessionCookie) ? undefined : value;
    }
    return { status: response.status, headers: response.headers, text, sessionCookie, location: response.headers.get('location') };
  }

  get(path: string, headers: Record<string, string> = {}): Promise<UiResponse> {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string> | string, headers: Record<string, string> = {}): Promise<UiResponse> {
    return this.request('POST', path, { form, headers });
  }

  /** Opens the login page, then posts its form; returns the answer to the POST. */
  async logIn(user: string, password: string, next?: string): Promise<UiResponse> {
    const page = await this.get(next === undefined ? '/ui/login' : `/ui/login?next=${encodeURIComponent(next)}`);
    return this.post('/ui/login', { _csrf: csrfOf(page.text), next: next ?? '', username: user, password });
  }
}

/** The CSRF token a page's forms carry (its hidden `_csrf` input). */
export function csrfOf(html: string): string {
  const match = /<input[^>]*name="_csrf"[^>]*value="([^"]+)"/.exec(html);
  if (match === null) throw new Error('the page has no _csrf field');
  return match[1] as string;
}

/** The page's text without tags, entities decoded, whitespace collapsed: what a reader sees. */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([.,:;)?!])/g, '$1')
    .replace(/\( /g, '(')
    .trim();
}

/** The driver with every read (getContent, stat, reader) counted by path. */
export function countingDriver(inner: StorageDriver): { driver: StorageDriver; reads: (path: string) => number } {
  const counts = new Map<string, number>();
  const driver = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (property === 'getContent' || property === 'stat' || property === 'reader') counts.set(String(args[0]), (counts.get(String(args[0])) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { driver, reads: (path) => counts.get(path) ?? 0 };
}
