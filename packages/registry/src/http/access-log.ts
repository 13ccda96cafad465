// One log line per request, written when the response finishes (method, path, status, bytes, ms).
// Health probes (/, /healthz, /readyz) are logged at debug: an orchestrator probing every few seconds
// would otherwise drown the lines an operator reads.
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Logger } from '@private-registry/core';

/** The body bytes sent: none for HEAD (its Content-Length describes the GET), 204 and 304. */
function bodyBytes(req: Request, res: Response): number {
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return 0;
  return Number(res.getHeader('content-length') ?? 0);
}

export function accessLog(log: Logger, isProbe: (req: Request) => boolean = () => false): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = { method: req.method, url: req.originalUrl, status: res.statusCode, bytes: bodyBytes(req, res), ms: Math.round(ms * 10) / 10, remote: req.socket.remoteAddress };
      if (isProbe(req)) log.debug(fields, 'request');
      else log.info(fields, 'request');
    });
    next();
  };
}
