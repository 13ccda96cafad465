// Requests nothing serves, answered with the spec's JSON error body instead of a dropped connection or an
// HTML page: methods node:http handles before any listener (CONNECT, and methods its parser does not know
// at all, such as BREW), and paths outside /v2 that the app routes nowhere.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@private-registry/core';
import { RegistryError } from '../oci/registry-errors.js';
import { sendError } from './error-response.js';
import { matchRoute } from './route-match.js';
import { allowedMethods } from './route-table.js';

/** Methods served at the root "/": the landing answer, nothing else. */
const ROOT_METHODS = 'GET, HEAD';

/**
 * The Allow value for a raw request target, where it names the root or a /v2 endpoint (with or without
 * http.prefix before it); undefined when it names none (an authority-form CONNECT target, an unknown path).
 */
export function allowForTarget(target: string): string | undefined {
  const path = target.split('?')[0] ?? '';
  if (path === '/') return ROOT_METHODS;
  const at = path.search(/\/v2(?:\/|$)/);
  if (at === -1) return undefined;
  const match = matchRoute(path.slice(at + 3) || '/');
  return match ? allowedMethods(match.endpoint) : undefined;
}

function unsupportedMethod(method: string | undefined): RegistryError {
  const shown = method !== undefined && /^[A-Za-z-]{1,20}$/.test(method) ? `method ${method}` : 'this method';
  return new RegistryError('UNSUPPORTED', `${shown} is not served by this registry`, { status: 405 });
}

/** A whole HTTP/1.1 response written straight to the socket, which is then closed. */
function writeAndClose(socket: Duplex, error: RegistryError, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(error.toBody()));
  const lines = [
    `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...Object.entries({ ...error.headers, ...headers }).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
}

/** The request line's method, read back from what the parser rejected (for the message only). */
function methodOf(rawPacket: unknown): string | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  return /^([A-Za-z-]{1,20}) /.exec(rawPacket.subarray(0, 32).toString('latin1'))?.[1];
}

function targetOf(rawPacket: unknown): string | undefined {
  if (!Buffer.isBuffer(rawPacket)) return undefined;
  return /^[A-Za-z-]{1,20} (\S{1,2048}) /.exec(rawPacket.subarray(0, 2100).toString('latin1'))?.[1];
}

/** Node's own statuses for the parse errors it names (what it would answer without a listener), else 400. */
function parseErrorFor(code: string | undefined): RegistryError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new RegistryError('UNKNOWN', 'request header fields too large', { status: 431 });
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new RegistryError('UNKNOWN', 'chunk extensions too large', { status: 413 });
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RegistryError('UNKNOWN', 'request timeout', { status: 408 });
    default:
      return new RegistryError('UNKNOWN', 'malformed HTTP request', { status: 400, detail: { reason: code ?? 'unparseable' } });
  }
}

/** node:http's 'clientError': a method its parser does not know is 405; other parse errors a JSON 400. */
export function answerClientError(err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex): void {
  // A response already under way on this socket (node keeps it as _httpMessage) must not be interleaved.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  if (err.code === 'HPE_INVALID_METHOD') {
    const allow = allowForTarget(targetOf(err.rawPacket) ?? '');
    writeAndClose(socket, unsupportedMethod(methodOf(err.rawPacket)), allow === undefined ? {} : { Allow: allow });
    return;
  }
  writeAndClose(socket, parseErrorFor(err.code));
}

/** node:http's 'connect': without a listener node drops the connection; we are no proxy, so 405. */
export function answerConnect(req: IncomingMessage, socket: Duplex): void {
  const allow = allowForTarget(req.url ?? '');
  socket.on('error', () => socket.destroy());
  writeAndClose(socket, unsupportedMethod(req.method), allow === undefined ? {} : { Allow: allow });
}

/**
 * The answer for a request the app routes nowhere, as the spec's JSON error: 405 with Allow for another
 * method on a path that serves GET and HEAD only (`/`, the health probes), else 404.
 */
export function answerUnrouted(req: IncomingMessage, res: ServerResponse, getHeadOnly: boolean, log: Logger): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const error =
    getHeadOnly && req.method !== 'GET' && req.method !== 'HEAD'
      ? new RegistryError('UNSUPPORTED', `method ${String(req.method).slice(0, 20)} not allowed here`, { status: 405, headers: { Allow: ROOT_METHODS } })
      : new RegistryError('NAME_UNKNOWN', 'no such endpoint', { status: 404, detail: { path: path.slice(0, 200) } });
  sendError(req, res, error, log);
}
