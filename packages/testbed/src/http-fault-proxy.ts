// An HTTP proxy in front of a real server that a test can turn bad: answer a fixed status (503, 429, 500)
// instead of forwarding, or hang without answering. How a test shows a registry riding out a sick upstream.

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { registerCleanup } from './cleanup-registry.js';

export type FaultMode = { kind: 'pass' } | { kind: 'status'; status: number } | { kind: 'hang' };

export interface HttpFaultProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  setMode(mode: FaultMode): void;
  /** Requests seen so far (method and path), whatever the mode. */
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startHttpFaultProxy(target: string): Promise<HttpFaultProxy> {
  const upstream = new URL(target);
  let mode: FaultMode = { kind: 'pass' };
  const requests: { method: string; path: string }[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/' });
    if (mode.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      req.resume();
      return;
    }
    if (mode.kind === 'status') {
      req.resume();
      const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `fault proxy answers ${mode.status}` }] });
      res.writeHead(mode.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(mode.status === 429 ? { 'Retry-After': '1' } : {}) });
      res.end(body);
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fault proxy has no port');
  const close = async (): Promise<void> => {
    unregister();
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const unregister = registerCleanup({ name: `http fault proxy :${address.port}`, stop: close, stopSync: () => server.close() });
  return {
    url: `http://127.0.0.1:${address.port}`,
    setMode: (next) => {
      mode = next;
    },
    requests,
    close,
  };
}
