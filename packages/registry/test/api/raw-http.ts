// Requests fetch cannot make: raw paths sent as written (no "..", "//" or percent normalisation),
// Content-Length values that disagree with the body, arbitrary methods, and whole requests written to a socket.
import { request } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ApiResponse } from './api-client.js';

export interface RawRequest {
  method: string;
  /** Sent verbatim on the request line. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The local address to connect from (127.0.0.2: another client on this machine). */
  localAddress?: string;
}

export function sendRaw(baseUrl: string, raw: RawRequest): Promise<ApiResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method: raw.method, path: raw.path, headers: raw.headers ?? {}, ...(raw.localAddress ? { localAddress: raw.localAddress } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
          }
          resolve(new ApiResponse(res.statusCode ?? 0, headers, Buffer.concat(chunks)));
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${raw.method} ${raw.path} within 30 s`)));
    req.on('error', reject);
    if (raw.body !== undefined) req.write(raw.body);
    req.end();
  });
}

export interface SocketExchange {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** Whether the server closed the connection after its answer. */
  closed: boolean;
}

/**
 * Writes `requestText` on a fresh TCP (or TLS) connection, byte for byte, and reads one HTTP/1.1 answer:
 * for what node's HTTP client will not send (CONNECT with a path, a method its parser does not know).
 */
export function exchangeOverSocket(baseUrl: string, requestText: string, timeoutMs = 10_000): Promise<SocketExchange> {
  const base = new URL(baseUrl);
  const port = Number(base.port);
  return new Promise((resolve, reject) => {
    const socket: Socket =
      base.protocol === 'https:' ? tlsConnect({ host: base.hostname, port, rejectUnauthorized: false }) : netConnect({ host: base.hostname, port });
    const chunks: Buffer[] = [];
    let answer: SocketExchange | undefined;
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      const parsed = parseAnswer(Buffer.concat(chunks));
      if (!parsed) {
        reject(new Error(`no complete HTTP answer to ${requestText.split('\r\n')[0]}: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 200))}`));
        return;
      }
      answer = { ...parsed, closed };
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('close', () => answer === undefined && finish(true));
    socket.on('error', (err) => (chunks.length > 0 ? finish(true) : reject(err)));
    socket.write(requestText);
  });
}

function parseAnswer(raw: Buffer): Omit<SocketExchange, 'closed'> | undefined {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  if (split === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: raw.subarray(Buffer.byteLength(text.slice(0, split + 4), 'latin1')).toString('utf8') };
}
