// The http.debug.addr listener: health, process figures and Prometheus metrics for operators, kept off the
// public port (as distribution serves its pprof and metrics).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import type { StorageReadiness } from './storage/storage-readiness.js';
import { listen, type RunningListener } from './http-listener.js';
import type { MetricsScrape } from './metrics/registry-metrics.js';

/** Renders the metrics: one process's registry, or every worker's aggregated by the primary. */
export interface MetricsSource {
  scrape(): Promise<MetricsScrape>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Extra figures for /debug/vars (the mirror's counters). */
export type DebugVars = () => Record<string, unknown> | Promise<Record<string, unknown>>;

/** Where the metrics are served (http.debug.prometheus.path, "/metrics" by default). */
export interface MetricsEndpoint {
  path: string;
  metrics: MetricsSource;
}

function sendMetrics(req: IncomingMessage, res: ServerResponse, metrics: MetricsSource): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 });
    res.end();
    return;
  }
  metrics.scrape().then(
    ({ contentType, body }) => {
      res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (err: unknown) => sendJson(res, 500, { error: 'metrics unavailable', reason: String(err).slice(0, 200) }),
  );
}

export function debugHandler(readiness: StorageReadiness, started: Date, extraVars: DebugVars = () => ({}), metrics?: MetricsEndpoint): (req: IncomingMessage, res: ServerResponse) => void {
  const endpoints = ['/debug/health', '/debug/vars', ...(metrics ? [metrics.path] : [])];
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (metrics !== undefined && path === metrics.path) {
      sendMetrics(req, res, metrics.metrics);
      return;
    }
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
      Promise.resolve(extraVars()).then(
        (extra) => sendJson(res, 200, { startedAt: started.toISOString(), uptimeSeconds: Math.round(process.uptime()), memory, pid: process.pid, ...extra }),
        (err: unknown) => sendJson(res, 500, { error: 'vars unavailable', reason: String(err).slice(0, 200) }),
      );
      return;
    }
    sendJson(res, 404, { error: 'not found', endpoints });
  };
}

export function startDebugServer(address: { host: string; port: number }, readiness: StorageReadiness, log: Logger, extraVars?: DebugVars, metrics?: MetricsEndpoint): Promise<RunningListener> {
  return listen(debugHandler(readiness, new Date(), extraVars, metrics), { host: address.host, port: address.port, drainTimeoutMs: 1000 }, log);
}
