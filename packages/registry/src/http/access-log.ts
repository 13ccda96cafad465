// One log line per request, written when the response finishes (method, path, status, bytes, ms).
import type { Request, Response, NextFunction, RequestHandler } from 'express';
import type { Logger } from '@private-registry/core';

export function accessLog(log: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(
        { method: req.method, url: req.originalUrl, status: res.statusCode, bytes: Number(res.getHeader('content-length') ?? 0), ms: Math.round(ms * 10) / 10, remote: req.socket.remoteAddress },
        'request',
      );
    });
    next();
  };
}
