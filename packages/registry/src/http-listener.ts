// Listening (plain HTTP or TLS) and graceful shutdown: stop accepting, let in-flight requests
// finish within a bound, then cut what is left.
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { CodedError, type Logger } from '@private-registry/core';
import { answerClientError, answerConnect } from './http/unserved-requests.js';

export interface TlsFiles {
  certificate: string;
  key: string;
  clientCas?: string[];
  /** How client certificates are checked when clientCas is set (distribution's names). */
  clientAuth?: 'request-client-cert' | 'require-any-client-cert' | 'verify-client-cert-if-given' | 'require-and-verify-client-cert';
  minimumTls?: SecureVersion;
}

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls?: TlsFiles;
  drainTimeoutMs: number;
}

export interface RunningListener {
  server: http.Server;
  /** e.g. http://127.0.0.1:5000 (the bound address; 0.0.0.0 shown as given). */
  url: string;
  port: number;
  close(): Promise<void>;
}

async function readTlsFile(key: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CodedError('CONFIG_INVALID', `invalid configuration: ${key}: cannot read ${path} (${code})`, { cause: err });
  }
}

async function createServer(listener: RequestListener, tls: TlsFiles | undefined): Promise<http.Server> {
  const common = {
    // Large blob pushes can take long: no overall request deadline, only one for headers.
    requestTimeout: 0,
    headersTimeout: 60_000,
    keepAliveTimeout: 65_000,
  };
  if (!tls) return http.createServer(common, listener);
  const [cert, key, ...cas] = await Promise.all([
    readTlsFile('http.tls.certificate', tls.certificate),
    readTlsFile('http.tls.key', tls.key),
    ...(tls.clientCas ?? []).map((path, i) => readTlsFile(`http.tls.clientcas[${i}]`, path)),
  ]);
  const clientAuth = cas.length > 0 ? (tls.clientAuth ?? 'require-and-verify-client-cert') : undefined;
  const server = https.createServer(
    {
      ...common,
      cert,
      key,
      ...(clientAuth ? { ca: cas, requestCert: true, rejectUnauthorized: clientAuth === 'require-and-verify-client-cert' } : {}),
      minVersion: tls.minimumTls ?? 'TLSv1.2',
    },
    listener,
  );
  if (clientAuth === 'require-any-client-cert' || clientAuth === 'verify-client-cert-if-given') {
    server.on('secureConnection', (socket: TLSSocket) => {
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      if (clientAuth === 'require-any-client-cert' ? !presented : presented && !socket.authorized) socket.destroy();
    });
  }
  return server;
}

export async function listen(listener: RequestListener, options: ListenOptions, log: Logger): Promise<RunningListener> {
  const server = await createServer(listener, options.tls);
  // What node:http answers itself (a bare 400, or a dropped connection for CONNECT) gets the spec's JSON
  // error instead: 405 for a method nothing serves, 400 for a request it cannot parse.
  server.on('clientError', answerClientError);
  server.on('connect', answerConnect);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      // Requests still arriving on kept-alive connections are answered, then their connection ends.
      server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
        if (!res.headersSent) res.setHeader('Connection', 'close');
      });
      const timer = setTimeout(() => {
        log.warn({ drainTimeoutMs: options.drainTimeoutMs }, 'drain timeout reached, closing remaining connections');
        server.closeAllConnections();
      }, options.drainTimeoutMs);
      timer.unref();
      // A connection busy at the signal goes idle once its response is sent: close it then.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      sweep.unref();
      server.close(() => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { server, url, port, close };
}
