// The web UI's request pipeline, below <http.prefix>/ui: assets, then for every page the security headers,
// the visitor's session (who logged in, their CSRF token), what they may do (the API's own access policy),
// the page, and errors as pages. Pages are rendered on the server (Preact to a string): they read without
// JavaScript; the script only adds copy buttons, filtering as you type and local times.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Logger } from '@private-registry/core';
import type { AccessGate } from '../auth/access-gate.js';
import { addressOf } from '../auth/access-gate.js';
import { ANONYMOUS, type Principal } from '../auth/principal.js';
import { deleteReference } from '../http/handlers/manifest-handlers.js';
import { recordOf, type RequestContext, type UrlPolicy } from '../http/request-context.js';
import { setRequestUser } from '../http/request-user.js';
import { tryParseDigest } from '../oci/digest.js';
import { RegistryError } from '../oci/registry-errors.js';
import type { RegistryServices } from '../services/registry-services.js';
import { ImagePage } from './pages/image-page.js';
import type { Flash } from './pages/notices.js';
import type { PageContext, Viewer } from './pages/page-context.js';
import { RepositoriesPage } from './pages/repositories-page.js';
import { RepositoryPage } from './pages/repository-page.js';
import { DeletePage, ErrorPage, LoginPage } from './pages/simple-pages.js';
import { StatusPage } from './pages/status-page.js';
import { PageData } from './page-data.js';
import { statusReport, type StatusSources } from './status-report.js';
import { serveAsset, type UiAssets } from './ui-assets.js';
import { describeError } from './error-text.js';
import { readForm } from './form-body.js';
import { parseUiRoute, UiPaths, type UiRoute } from './ui-routes.js';
import { readCookie, SESSION_COOKIE, sessionCookie, type SessionSigner, type UiSession } from './ui-session.js';
import type { SignedOutSessions } from './signed-out-sessions.js';

export interface UiHandlerOptions {
  services: RegistryServices;
  log: Logger;
  /** Undefined: an open registry (everyone may read; deletes as storage.delete.enabled says). */
  access?: AccessGate;
  /** http.prefix without its trailing slash. */
  prefix: string;
  urls: UrlPolicy;
  sessionTtlMs: number;
  signer: SessionSigner;
  /** Logouts, seen by every process sharing the store. */
  signedOut: SignedOutSessions;
  assets: UiAssets;
  status: Omit<StatusSources, 'services'>;
  version: string;
}

export type UiHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/** The visitor of one request: their session and what the registry makes of it. */
interface Visit {
  session: UiSession;
  principal: Principal;
  signedIn: boolean;
}

export function createUiHandler(options: UiHandlerOptions): UiHandler {
  const { access, signer, services, log } = options;
  const paths = new UiPaths(`${options.prefix}/ui`);
  const data = new PageData(services);
  const cookiePath = `${options.prefix}/ui/`;
  const deletesPossible = services.policy.deleteEnabled && !services.policy.readOnly;
  const assetUrls = {
    ...(options.assets.css ? { css: paths.asset(options.assets.css) } : {}),
    ...(options.assets.js ? { js: paths.asset(options.assets.js) } : {}),
  };

  const setSession = (res: ServerResponse, session: UiSession): void => {
    res.setHeader('Set-Cookie', sessionCookie(signer.encode(session), { path: cookiePath, secure: options.urls.tls, maxAgeS: (session.expires - Date.now()) / 1000 }));
  };

  /** Who is asking: the session's user or robot as they stand now (removed, revoked or signed out: logged out). */
  const visit = async (req: IncomingMessage, res: ServerResponse): Promise<Visit> => {
    await signer.settle();
    const cookie = readCookie(req, SESSION_COOKIE);
    let session = signer.decode(cookie) ?? (cookie === undefined ? undefined : await signer.decodeWithReload(cookie));
    if (session === undefined) {
      session = signer.issue(options.sessionTtlMs);
      setSession(res, session);
    }
    if (access === undefined || session.subject === undefined) return { session, principal: ANONYMOUS, signedIn: false };
    const principal = (await options.signedOut.isSignedOut(session)) ? undefined : await access.subjectOf(session.subject.name);
    if (principal === undefined || principal.kind !== session.subject.kind) {
      session = signer.issue(options.sessionTtlMs);
      setSession(res, session);
      return { session, principal: ANONYMOUS, signedIn: false };
    }
    setRequestUser(req, session.subject.name);
    return { session, principal, signedIn: true };
  };

  const rightsIn = (v: Visit, name: string) => (access === undefined ? undefined : access.rights(v.principal, name));
  const mayPull = (v: Visit, name: string): boolean => rightsIn(v, name)?.actions.has('pull') ?? true;
  const mayDelete = (v: Visit, name: string): boolean => deletesPossible && (rightsIn(v, name)?.actions.has('delete') ?? true);
  const isAdmin = (v: Visit): boolean => access === undefined || access.isRegistryAdmin(v.principal);

  const pageContext = (req: IncomingMessage, v: Visit): PageContext => {
    const viewer: Viewer = {
      authOn: access !== undefined,
      canLogIn: access?.checksPasswords ?? false,
      admin: isAdmin(v),
      csrf: signer.csrfToken(v.session),
      ...(v.signedIn && v.session.subject ? { name: v.session.subject.name } : {}),
    };
    return { paths, viewer, assets: assetUrls, version: options.version, here: req.url ?? paths.repositories(), deletesPossible, readOnly: services.policy.readOnly };
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, page: VNode): void => {
    const body = Buffer.from(`<!doctype html>\n${renderToString(page)}`);
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const redirect = (res: ServerResponse, location: string): void => {
    res.statusCode = 303;
    res.setHeader('Location', location);
    res.setHeader('Content-Length', 0);
    res.end();
  };

  const errorPage = (req: IncomingMessage, res: ServerResponse, v: Visit, status: number, title: string, message: string): void => {
    send(req, res, status, ErrorPage({ ctx: pageContext(req, v), status, title, message }));
  };

  /** Anonymous visitors of a registry that gives them nothing log in first. */
  const needsLogin = (v: Visit): boolean => access !== undefined && !v.signedIn && !access.anonymousHasRights;

  /** A page about repository `name`: the visitor must be able to pull there. Returns false when it answered. */
  const checkPull = (req: IncomingMessage, res: ServerResponse, v: Visit, name: string): boolean => {
    if (mayPull(v, name)) return true;
    if (!v.signedIn && access?.checksPasswords) redirect(res, paths.login(req.url));
    else errorPage(req, res, v, 403, 'Not allowed', `You may not pull from ${name}.`);
    return false;
  };

  const pullHost = (req: IncomingMessage): string => {
    if (options.urls.host !== undefined) {
      try {
        return new URL(options.urls.host).host;
      } catch {
        // fall through to the request's host
      }
    }
    const host = req.headers.host ?? '';
    return /^[A-Za-z0-9.:[\]-]{1,260}$/.test(host) ? host : 'localhost';
  };

  const routes = async (req: IncomingMessage, res: ServerResponse, route: Exclude<UiRoute, { kind: 'asset' }>, query: URLSearchParams, v: Visit): Promise<void> => {
    const method = req.method ?? 'GET';
    const reading = method === 'GET' || method === 'HEAD';
    const posting = method === 'POST';
    const allow = (methods: string): void => {
      res.setHeader('Allow', methods);
      errorPage(req, res, v, 405, 'Method not allowed', `This page answers ${methods}.`);
    };

    if (route.kind === 'login') {
      if (reading) {
        if (v.signedIn) return redirect(res, nextPage(query.get('next')));
        return send(req, res, 200, LoginPage({ ctx: pageContext(req, v), next: query.get('next') ?? '', ...loginUnavailable() }));
      }
      if (!posting) return allow('GET, HEAD, POST');
      return login(req, res, v);
    }
    if (route.kind === 'logout') {
      if (!posting) return allow('POST');
      const form = await readForm(req);
      if (!signer.checkCsrf(v.session, form.get('_csrf') ?? undefined)) return errorPage(req, res, v, 403, 'Form expired', 'This form is no longer valid: reload the page and try again.');
      if (v.signedIn) await options.signedOut.signOut(v.session);
      setSession(res, signer.issue(options.sessionTtlMs));
      return redirect(res, paths.login());
    }
    if (needsLogin(v)) return redirect(res, paths.login(req.url));

    if (route.kind === 'delete') {
      if (!reading && !posting) return allow('GET, HEAD, POST');
      if (!checkPull(req, res, v, route.name)) return;
      if (!mayDelete(v, route.name)) {
        const why = !deletesPossible ? (services.policy.readOnly ? 'The registry is in read-only mode.' : 'Deletes are disabled on this registry (storage.delete.enabled).') : `You may not delete in ${route.name}.`;
        return errorPage(req, res, v, 403, 'Not allowed', why);
      }
      if (posting) return deleteNow(req, res, v, route.name, route.reference);
      const manifest = await services.manifests.get(route.name, referenceOf(route.reference));
      const isTag = tryParseDigest(route.reference) === null;
      const tags = await data.tagsOf(route.name, manifest.digest);
      return send(req, res, 200, DeletePage({ ctx: pageContext(req, v), name: route.name, reference: route.reference, isTag, digest: manifest.digest.value, otherTags: tags.filter((t) => t !== route.reference) }));
    }
    if (!reading) return allow('GET, HEAD');
    const ctx = pageContext(req, v);
    switch (route.kind) {
      case 'repositories': {
        const q = (query.get('q') ?? '').trim().slice(0, 256);
        const last = query.get('last') ?? undefined;
        const { rows, next } = await data.repositoryRows(q, last, (name) => mayPull(v, name));
        return send(req, res, 200, RepositoriesPage({ ctx, query: q, rows, paged: last !== undefined, ...(next ? { next } : {}) }));
      }
      case 'repository': {
        if (!checkPull(req, res, v, route.name)) return;
        const sort = query.get('sort') === 'time' ? 'time' : 'name';
        const page = Number.parseInt(query.get('page') ?? '1', 10) || 1;
        const tags = await data.tagRows(route.name, sort, page);
        const rights = rightsIn(v, route.name);
        const deleted = query.get('deleted');
        const flash: Flash | undefined = deleted
          ? { kind: 'ok', text: `Deleted ${deleted.slice(0, 200)}. The next garbage collection frees its space.`, ...(ctx.viewer.admin ? { link: { href: paths.status(), text: 'Status' } } : {}) }
          : undefined;
        return send(req, res, 200, RepositoryPage({ ctx, name: route.name, ...tags, sort, tagsImmutable: rights !== undefined && rights.actions.has('push') && !rights.actions.has('overwrite'), ...(flash ? { flash } : {}) }));
      }
      case 'image': {
        if (!checkPull(req, res, v, route.name)) return;
        const image = await data.image(route.name, route.reference);
        return send(req, res, 200, ImagePage({ ctx, ...image, pullHost: pullHost(req), mayDelete: mayDelete(v, route.name) }));
      }
      case 'status': {
        if (!ctx.viewer.admin && !v.signedIn && access?.checksPasswords) return redirect(res, paths.login(req.url));
        if (!ctx.viewer.admin) return errorPage(req, res, v, 403, 'Not allowed', 'The status page is for administrators (the admin role on every repository).');
        const status = await statusReport({ ...options.status, services });
        return send(req, res, 200, StatusPage({ ctx, status }));
      }
    }
  };

  const loginUnavailable = (): { unavailable?: string } => {
    if (access === undefined) return { unavailable: 'This registry has no authentication: there is nothing to log in to.' };
    if (!access.checksPasswords) return { unavailable: 'This registry trusts an external token server: log in there; the UI cannot check its accounts.' };
    return {};
  };

  const nextPage = (next: string | null | undefined): string => {
    const own = next ? paths.ownPage(next) : undefined;
    return own !== undefined && !own.startsWith(paths.login()) ? own : paths.repositories();
  };

  const login = async (req: IncomingMessage, res: ServerResponse, v: Visit): Promise<void> => {
    const form = await readForm(req);
    const next = form.get('next') ?? '';
    const user = (form.get('username') ?? '').trim();
    const password = form.get('password') ?? '';
    const again = (status: number, error: string): void => send(req, res, status, LoginPage({ ctx: pageContext(req, v), next, error, user: user.slice(0, 200), ...loginUnavailable() }));
    if (!signer.checkCsrf(v.session, form.get('_csrf') ?? undefined)) return again(403, 'The form expired: try again.');
    if (access === undefined || !access.checksPasswords) return again(400, 'Logging in is not possible here.');
    if (user === '' || password === '') return again(400, 'Enter a user name and a password or token.');
    let principal: Principal | undefined;
    try {
      principal = await access.checkPassword(addressOf(req), user, password);
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'TOOMANYREQUESTS') {
        for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
        return again(429, 'Too many failed attempts: wait a while and try again.');
      }
      throw err;
    }
    if (principal === undefined || (principal.kind !== 'user' && principal.kind !== 'robot')) return again(401, 'Invalid user name or password.');
    setRequestUser(req, principal.name);
    setSession(res, signer.issue(options.sessionTtlMs, { kind: principal.kind, name: principal.name }));
    log.info({ user: principal.name, kind: principal.kind, address: addressOf(req) }, 'web UI login');
    redirect(res, nextPage(next));
  };

  const deleteNow = async (req: IncomingMessage, res: ServerResponse, v: Visit, name: string, reference: string): Promise<void> => {
    const form = await readForm(req);
    if (!signer.checkCsrf(v.session, form.get('_csrf') ?? undefined)) return errorPage(req, res, v, 403, 'Form expired', 'This form is no longer valid: go back, reload the page and try again.');
    const record = recordOf(req);
    if (record !== undefined) record.repository = name;
    const ctx: RequestContext = { req, res, services, log, name, reference, query: new URLSearchParams(), urls: options.urls, principal: v.principal, access };
    await deleteReference(ctx);
    data.repositories.forget(name);
    log.info({ repository: name, reference, user: v.session.subject?.name ?? 'anonymous' }, 'deleted through the web UI');
    const what = tryParseDigest(reference) === null ? `tag ${reference}` : `manifest ${reference}`;
    redirect(res, paths.repository(name, { deleted: what }));
  };

  return async (req, res, rawPath) => {
    const record = recordOf(req);
    if (record !== undefined) record.route = 'ui';
    const q = rawPath.indexOf('?');
    const path = q === -1 ? rawPath : rawPath.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : rawPath.slice(q + 1));
    let route: UiRoute | undefined;
    try {
      route = parseUiRoute(path);
    } catch {
      route = undefined; // an invalid repository name: nothing is there
    }
    if (route?.kind === 'asset') {
      if ((req.method === 'GET' || req.method === 'HEAD') && serveAsset(options.assets, route.file, req, res)) return;
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('not found\n');
      return;
    }
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    let v: Visit | undefined;
    try {
      v = await visit(req, res);
      if (record !== undefined && 'name' in (route ?? {})) record.repository = (route as { name: string }).name;
      if (route === undefined) return errorPage(req, res, v, 404, 'Not found', 'There is no such page.');
      // A form posted from another site is refused before anything else (the CSRF token is checked too).
      if (req.method === 'POST' && req.headers['sec-fetch-site'] === 'cross-site') return errorPage(req, res, v, 403, 'Not allowed', 'Forms of this UI cannot be sent from another site.');
      await routes(req, res, route, query, v);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const visitor = v ?? { session: signer.issue(options.sessionTtlMs), principal: ANONYMOUS, signedIn: false };
      const { status, title, message } = describeError(err);
      if (status >= 500) log.error({ err, url: req.url }, 'web UI page failed');
      try {
        errorPage(req, res, visitor, status, title, message);
      } catch (renderErr) {
        // Not even the error page renders: a plain answer, never an unhandled rejection.
        log.error({ err: renderErr, url: req.url }, 'web UI error page failed');
        if (!res.headersSent) {
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
        }
        res.end('internal error\n');
      }
    }
  };
}

function referenceOf(reference: string) {
  const digest = tryParseDigest(reference);
  return digest ? { kind: 'digest' as const, digest } : { kind: 'tag' as const, tag: reference };
}
