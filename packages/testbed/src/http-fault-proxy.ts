// An HTTP proxy in front of a real server that a test can turn bad: answer a fixed status (503, 429, 500)
// instead of forwarding, or hang without answering, or answer late, slowly or wrongly. How a test shows a registry riding out a sick upstream.

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { registerCleanup } from './cleanup-registry.js';

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'status'; status: number }
  | { kind: 'hang' }
  /** Forward, but send response bodies at this rate (64 KiB steps). */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Forward, but flip one byte in the middle of every response body of at least 1 KiB. */
  | { kind: 'corrupt' }
  /** Forward the next `passes` requests, then answer `status` to every later one (a failure midway through a sequence). */
  | { kind: 'passThen'; passes: number; status: number }
  /** Forward each request `ms` later: a server a network round trip away (S3 in a region: 20-50 ms). */
  | { kind: 'latency'; ms: number };

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
    if (mode.kind === 'passThen' && mode.passes > 0) mode = { ...mode, passes: mode.passes - 1 };
    else if (mode.kind === 'status' || mode.kind === 'passThen') {
      req.resume();
      const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `fault proxy answers ${mode.status}` }] });
      res.writeHead(mode.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(mode.status === 429 ? { 'Retry-After': '1' } : {}) });
      res.end(body);
      return;
    }
    if (mode.kind === 'latency') setTimeout(() => forward(req, res), mode.ms);
    else forward(req, res);
  });
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const outgoing = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const current = mode;
        if (current.kind === 'throttle') void throttle(answer, res, current.bytesPerSecond);
        else if (current.kind === 'corrupt') void corrupt(answer, res);
        else answer.pipe(res);
      },
    );
    outgoing.on('error', () => res.destroy());
    req.pipe(outgoing);
  };
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

async function throttle(body: IncomingMessage, res: ServerResponse, bytesPerSecond: number): Promise<void> {
  const step = 64 * 1024;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      for (let offset = 0; offset < buffer.length; offset += step) {
        const part = buffer.subarray(offset, offset + step);
        if (!res.write(part)) await new Promise((resolve) => res.once('drain', resolve));
        await new Promise((resolve) => setTimeout(resolve, (part.length / bytesPerSecond) * 1000));
      }
    }
    res.end();
  } catch {
    res.destroy();
  }
}

async function corrupt(body: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  const whole = Buffer.concat(chunks);
  if (whole.length >= 1024) whole[whole.length >> 1] = (whole[whole.length >> 1] ?? 0) ^ 0xff;
  res.end(whole);
}
