// Turns any error into the spec's JSON error body with the right status; never a 500 for a
// client's mistake, never a secret or a server path in the body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import { RegistryError } from '../oci/registry-errors.js';
import { recordOf } from './request-context.js';
import { StorageError, StorageUnavailableError, InvalidOffsetError, InvalidPathError } from '../storage/storage-errors.js';

function isClientAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (err instanceof Error && err.message === 'aborted');
}

export function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof InvalidOffsetError) return new RegistryError('RANGE_INVALID', 'invalid content range', { status: 416 });
  if (err instanceof InvalidPathError) return new RegistryError('NAME_INVALID', 'invalid repository name or reference');
  if (err instanceof StorageUnavailableError) {
    return new RegistryError('UNAVAILABLE', 'storage backend unavailable, retry later', { detail: { driver: err.driver } });
  }
  return new RegistryError('UNKNOWN', 'internal server error');
}

export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, log: Logger): void {
  const error = toRegistryError(err);
  const requestId = recordOf(req)?.id;
  if (isClientAbort(err)) {
    log.debug({ err }, 'client went away');
  } else if (err instanceof RegistryError && error.code === 'UNAVAILABLE') {
    // An outage we described ourselves (upstream or storage down): the cause is logged where it was seen.
    log.warn({ code: error.code, message: error.message, method: req.method, url: req.url, requestId }, 'service unavailable');
  } else if (err instanceof StorageError) {
    // The store failed under a request: an alert (mail) of its own kind.
    log.error({ err, method: req.method, url: req.url, requestId, alert: 'storage' }, 'storage failed');
  } else if (error.status >= 500) {
    log.error({ err, method: req.method, url: req.url, requestId }, 'request failed');
  } else {
    log.debug({ code: error.code, method: req.method, url: req.url }, 'client error');
  }
  if (res.headersSent) {
    // Mid-stream failure: the only honest signal left is to cut the connection.
    res.destroy(err instanceof Error ? err : undefined);
    return;
  }
  const payload = req.method === 'HEAD' ? undefined : Buffer.from(JSON.stringify(error.toBody()));
  // setHeader, not writeHead's object: the access log reads the length back with getHeader, which only
  // sees headers set this way when nothing was set before.
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', payload?.length ?? 0);
  res.end(payload);
  // An unread request body would otherwise be parsed as the next request on a kept-alive socket.
  if (!req.readableEnded && !req.complete) req.resume();
}
