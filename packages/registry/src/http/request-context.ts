// What a handler gets: the raw request and response, the services, the validated route values.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from '@private-registry/core';
import type { RegistryServices } from '../services/registry-services.js';
import type { AccessGate } from '../auth/access-gate.js';
import type { Principal } from '../auth/principal.js';

/**
 * What the access log and the metrics learn about a request while it is served: its id (sent back as
 * X-Request-Id), the route-table name of what it asked for, the repository. Kept on the request itself
 * (a symbol property, not a WeakMap) and filled in as the dispatcher learns it.
 */
export interface RequestRecord {
  readonly id: string;
  /** The endpoint's name ("manifest", "blob", "upload"...), "token", a health probe's name, or "unrouted". */
  route: string;
  /** The validated repository name ("" until known, or for endpoints without one). */
  repository: string;
  /** True while the request streams a blob upload (registry_uploads_in_progress counts it). */
  uploading: boolean;
}

const RECORD = Symbol('requestRecord');

type RecordedRequest = IncomingMessage & { [RECORD]?: RequestRecord };

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An id a proxy or client chose: kept when it is short and plain enough to log and echo as it is. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's X-Request-Id when sane, else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Starts the request's record (the app does, before anything else). */
export function startRecord(req: IncomingMessage, route: string): RequestRecord {
  const record: RequestRecord = { id: requestIdFor(req), route, repository: '', uploading: false };
  (req as RecordedRequest)[RECORD] = record;
  return record;
}

/** The record the app started for `req`; undefined for a request it did not see (a handler driven alone). */
export function recordOf(req: IncomingMessage): RequestRecord | undefined {
  return (req as RecordedRequest)[RECORD];
}

export interface UrlPolicy {
  /** http.host: the external base URL for Location headers. */
  host?: string;
  /** http.relativeurls: answer with relative Location headers. */
  relative: boolean;
  /** Whether this listener serves TLS (for absolute URLs without http.host). */
  tls: boolean;
  /** http.prefix without its trailing slash ("" for none), put before every /v2 path. */
  prefix?: string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  services: RegistryServices;
  log: Logger;
  /** Validated repository name ("" for endpoints without one). */
  name: string;
  /** The raw tag, digest or upload id from the path. */
  reference: string;
  query: URLSearchParams;
  urls: UrlPolicy;
  /** Who is asking (anonymous on an open registry). */
  principal: Principal;
  /** The access checks; undefined on an open registry (everything is allowed). */
  access: AccessGate | undefined;
}

/** True when the caller may do `action` in repository `name` (always, on an open registry). */
export function mayDo(ctx: RequestContext, name: string, action: 'pull' | 'push' | 'overwrite' | 'delete'): boolean {
  return ctx.access === undefined || ctx.access.rights(ctx.principal, name).actions.has(action);
}

/** An absolute (or, with http.relativeurls, relative) URL for a registry path. */
export function locationFor(ctx: RequestContext, v2Path: string): string {
  const path = `${ctx.urls.prefix ?? ''}${v2Path}`;
  if (ctx.urls.relative) return path;
  if (ctx.urls.host) return `${ctx.urls.host.replace(/\/+$/, '')}${path}`;
  const host = ctx.req.headers.host;
  return host ? `${requestProtocol(ctx.req, ctx.urls.tls)}://${host}${path}` : path;
}

/** The scheme the client used: a proxy's X-Forwarded-Proto (its first value), else this listener's. */
export function requestProtocol(req: IncomingMessage, tls: boolean): string {
  const forwarded = req.headers['x-forwarded-proto'];
  return (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() || (tls ? 'https' : 'http');
}

/** Content-Length as a number, or undefined when absent; a garbage value is a client error. */
export function contentLength(req: IncomingMessage): number | undefined {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Whether the request carries a body at all (a length > 0, or chunked transfer). */
export function hasBody(req: IncomingMessage): boolean {
  const length = contentLength(req);
  if (length !== undefined) return length > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string | number>): void {
  ctx.res.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.res.end();
}

export function sendJson(ctx: RequestContext, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const payload = Buffer.from(JSON.stringify(body));
  ctx.res.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': payload.length });
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : payload);
}
