// The http.debug.addr listener: health and process figures for operators, kept off the public port.
// (distribution serves pprof and Prometheus metrics here; metrics arrive with their own issue.)
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from './storage/storage-driver.js';
import { isPathNotFound } from './storage/storage-errors.js';
import { listen, type RunningListener } from './http-listener.js';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Extra figures for /debug/vars (the mirror's counters). */
export type DebugVars = () => Record<string, unknown>;

export function debugHandler(driver: StorageDriver, started: Date, extraVars: DebugVars = () => ({})): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/debug/health') {
      // Healthy when the storage backend answers (an empty store counts: nothing pushed yet).
      driver.stat('/docker').then(
        () => sendJson(res, 200, { status: 'ok', storage: driver.name }),
        (err: unknown) =>
          isPathNotFound(err)
            ? sendJson(res, 200, { status: 'ok', storage: driver.name })
            : sendJson(res, 503, { status: 'unavailable', storage: driver.name, error: (err as { code?: string }).code ?? 'UNKNOWN' }),
      );
      return;
    }
    if (path === '/debug/vars') {
      const memory = process.memoryUsage();
      sendJson(res, 200, { startedAt: started.toISOString(), uptimeSeconds: Math.round(process.uptime()), memory, pid: process.pid, ...extraVars() });
      return;
    }
    sendJson(res, 404, { error: 'not found', endpoints: ['/debug/health', '/debug/vars'] });
  };
}

export function startDebugServer(address: { host: string; port: number }, driver: StorageDriver, log: Logger, extraVars?: DebugVars): Promise<RunningListener> {
  return listen(debugHandler(driver, new Date(), extraVars), { host: address.host, port: address.port, drainTimeoutMs: 1000 }, log);
}
