// One log line per request, written when the response finishes (method, path, status, bytes, ms).
// Health probes (/, /healthz, /readyz) are logged at debug: an orchestrator probing every few seconds
// would otherwise drown the lines an operator reads.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import { requestUser } from './request-user.js';

/** The body bytes sent: none for HEAD (its Content-Length describes the GET), 204 and 304. */
function bodyBytes(req: IncomingMessage, res: ServerResponse): number {
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return 0;
  return Number(res.getHeader('content-length') ?? 0);
}

/** Call at the start of a request: logs it once its response has finished. */
export type AccessLog = (req: IncomingMessage, res: ServerResponse, probe: boolean) => void;

export function accessLog(log: Logger): AccessLog {
  return (req, res, probe) => {
    const started = process.hrtime.bigint();
    // The URL as received: handlers may not rewrite req.url, but read it before they run anyway.
    const url = req.url;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = { method: req.method, url, status: res.statusCode, bytes: bodyBytes(req, res), ms: Math.round(ms * 10) / 10, remote: req.socket.remoteAddress, user: requestUser(req) };
      if (probe) log.debug(fields, 'request');
      else log.info(fields, 'request');
    });
  };
}
