// Every request's id (X-Request-Id, on every answer), its log line and its metrics, from one 'close'
// listener: id, method, url, route, repository, status, bytes in and out, duration, user.
// Health probes (/, /healthz, /readyz) are logged at debug: an orchestrator probing every few seconds
// would otherwise drown the lines an operator reads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '@private-registry/core';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import { requestUser } from './request-user.js';
import { REQUEST_ID_HEADER, startRecord, type RequestRecord } from './request-context.js';

/** The body bytes sent: none for HEAD (its Content-Length describes the GET), 204 and 304. */
function bodyBytes(req: IncomingMessage, res: ServerResponse): number {
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return 0;
  return Number(res.getHeader('content-length') ?? 0);
}

/** nginx's status for a request whose client went away before any answer was sent. */
export const CLIENT_CLOSED_STATUS = 499;

const READ = Symbol('bytesReadCounted');
const WRITTEN = Symbol('bytesWrittenCounted');
type CountedSocket = Socket & { [READ]?: number; [WRITTEN]?: number };

/**
 * The bytes this request moved on its connection, headers included (like nginx's $request_length and
 * $bytes_sent): what the socket counted since the previous request on it ended. Exact without pipelining;
 * a body the server refused before reading it counts toward the next request on the connection.
 */
function bytesReadFor(socket: CountedSocket): number {
  const read = socket.bytesRead;
  const counted = read - (socket[READ] ?? 0);
  socket[READ] = read;
  return counted;
}

function bytesWrittenFor(socket: CountedSocket): number {
  const written = socket.bytesWritten;
  const counted = written - (socket[WRITTEN] ?? 0);
  socket[WRITTEN] = written;
  return counted;
}

export interface RequestObserverOptions {
  /** Writes the access log line (http.accesslog not disabled). */
  log?: Logger;
  /** Counts the request (the debug listener serves /metrics). */
  metrics?: HttpMetrics;
}

/**
 * Call at the start of a request, with the route as far as the app knows it: gives the request its id and
 * record, and logs and counts it once its response has ended (or its client went away).
 */
export type RequestObserver = (req: IncomingMessage, res: ServerResponse, route: string, probe: boolean) => RequestRecord;

export function requestObserver(options: RequestObserverOptions): RequestObserver {
  const { log, metrics } = options;
  return (req, res, route, probe) => {
    const record = startRecord(req, route);
    res.setHeader(REQUEST_ID_HEADER, record.id);
    if (log === undefined && metrics === undefined) return record;
    // performance.now(): a double, where hrtime.bigint() allocates.
    const started = performance.now();
    // The URL as received: handlers may not rewrite req.url, but read it before they run anyway.
    const url = req.url;
    // 'close' comes once, after 'finish' or when the client went away ('on': no once-wrapper per request).
    res.on('close', () => {
      const seconds = (performance.now() - started) / 1000;
      const finished = res.writableFinished;
      const status = finished || res.headersSent ? res.statusCode : CLIENT_CLOSED_STATUS;
      const socket = req.socket as CountedSocket | null;
      const bytesIn = socket === null ? 0 : bytesReadFor(socket);
      const bytesOut = socket === null ? 0 : bytesWrittenFor(socket);
      if (record.uploading) metrics?.uploadEnded();
      metrics?.observe(record.route, req.method ?? 'UNKNOWN', status, seconds, bytesIn, bytesOut);
      if (log === undefined) return;
      const fields = {
        requestId: record.id,
        method: req.method,
        url,
        route: record.route,
        ...(record.repository === '' ? {} : { repository: record.repository }),
        status,
        bytes: bodyBytes(req, res),
        bytesIn,
        bytesOut,
        ms: Math.round(seconds * 1e4) / 10,
        remote: req.socket?.remoteAddress,
        user: requestUser(req),
        ...(finished ? {} : { aborted: true }),
      };
      if (probe) log.debug(fields, 'request');
      else log.info(fields, 'request');
    });
    return record;
  };
}
