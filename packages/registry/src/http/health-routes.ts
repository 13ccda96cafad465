// What load balancers and orchestrators probe, beside the API: `/` (200, names the service and the UI), `/healthz`
// (the process answers) and `/readyz` (configuration loaded and the store answering; 503 with the
// reason otherwise). Served at the root and, when http.prefix is set, under the prefix too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StorageReadiness } from '../storage/storage-readiness.js';

export type HealthPath = 'root' | 'healthz' | 'readyz';

/** Which health endpoint `path` (without query) names, given the API prefix ("" or "/registry"). */
export function healthPathOf(path: string, prefix: string): HealthPath | undefined {
  for (const base of prefix === '' ? [''] : ['', prefix]) {
    if (path === `${base}/` || (base !== '' && path === base)) return 'root';
    if (path === `${base}/healthz`) return 'healthz';
    if (path === `${base}/readyz`) return 'readyz';
  }
  return undefined;
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  // setHeader, not writeHead's object: the access log reads the length back with getHeader.
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.setHeader('Cache-Control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : payload);
}

/** The /readyz answer (/debug/health asks the same StorageReadiness, in its own body shape). */
export async function readinessBody(readiness: StorageReadiness): Promise<{ status: number; body: Record<string, unknown> }> {
  const probe = await readiness.check();
  const storage = probe.ok ? { driver: readiness.driverName, status: 'ok' } : { driver: readiness.driverName, status: 'unavailable', reason: probe.reason };
  return probe.ok
    ? { status: 200, body: { status: 'ready', configuration: 'loaded', storage } }
    : { status: 503, body: { status: 'not ready', reason: `storage unavailable: ${probe.reason}`, configuration: 'loaded', storage } };
}

/** Answers a GET or HEAD for one health path; false when the method is not one of those (the caller 405s or passes on). */
export function serveHealth(which: HealthPath, req: IncomingMessage, res: ServerResponse, options: { readiness: StorageReadiness; apiRoot: string; uiRoot?: string }): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (which === 'root') {
    sendJson(req, res, 200, { service: 'private-registry', api: `${options.apiRoot}/`, ...(options.uiRoot ? { ui: options.uiRoot } : {}), health: '/healthz', ready: '/readyz' });
  } else if (which === 'healthz') {
    sendJson(req, res, 200, { status: 'ok' });
  } else {
    readinessBody(options.readiness).then(
      ({ status, body }) => sendJson(req, res, status, body),
      (err: unknown) => sendJson(req, res, 503, { status: 'not ready', reason: String(err) }),
    );
  }
  return true;
}
