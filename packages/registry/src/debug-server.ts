// The http.debug.addr listener: health and process figures for operators, kept off the public port.
// (distribution serves pprof and Prometheus metrics here; metrics arrive with their own issue.)
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import type { StorageReadiness } from './storage/storage-readiness.js';
import { listen, type RunningListener } from './http-listener.js';

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Extra figures for /debug/vars (the mirror's counters). */
export type DebugVars = () => Record<string, unknown>;

export function debugHandler(readiness: StorageReadiness, started: Date, extraVars: DebugVars = () => ({})): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/debug/health') {
      // The same check (and the same cached answer) as /readyz on the main listener.
      readiness.check().then(
        (probe) =>
          probe.ok
            ? sendJson(res, 200, { status: 'ok', storage: readiness.driverName })
            : sendJson(res, 503, { status: 'unavailable', storage: readiness.driverName, error: probe.code, reason: probe.reason }),
        (err: unknown) => sendJson(res, 503, { status: 'unavailable', storage: readiness.driverName, error: 'UNKNOWN', reason: String(err) }),
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

export function startDebugServer(address: { host: string; port: number }, readiness: StorageReadiness, log: Logger, extraVars?: DebugVars): Promise<RunningListener> {
  return listen(debugHandler(readiness, new Date(), extraVars), { host: address.host, port: address.port, drainTimeoutMs: 1000 }, log);
}
