// Listening (plain HTTP or TLS) and graceful shutdown: stop accepting, let in-flight requests
// finish within a bound, then cut what is left.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@private-registry/core';
import { answerClientError, answerConnect } from './http/unserved-requests.js';
import { plainHttpGuard } from './tls/plain-http-guard.js';
import { readSecureContext, watchTlsFiles, type TlsFiles } from './tls/tls-context.js';

export type { TlsFiles } from './tls/tls-context.js';

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

async function createServer(listener: RequestListener, tls: TlsFiles | undefined, log: Logger): Promise<{ server: http.Server; stopWatching: () => void }> {
  const common = {
    // Large blob pushes can take long: no overall request deadline, only one for headers.
    requestTimeout: 0,
    headersTimeout: 60_000,
    keepAliveTimeout: 65_000,
  };
  if (!tls) return { server: http.createServer(common, listener), stopWatching: () => undefined };
  const context = await readSecureContext(tls);
  const clientAuth = (tls.clientCas ?? []).length > 0 ? (tls.clientAuth ?? 'require-and-verify-client-cert') : undefined;
  const server = https.createServer(
    {
      ...common,
      ...context,
      ...(clientAuth ? { requestCert: true, rejectUnauthorized: clientAuth === 'require-and-verify-client-cert' } : {}),
    },
    listener,
  );
  if (clientAuth === 'require-any-client-cert' || clientAuth === 'verify-client-cert-if-given') {
    server.on('secureConnection', (socket: TLSSocket) => {
      const presented = Object.keys(socket.getPeerCertificate()).length > 0;
      if (clientAuth === 'require-any-client-cert' ? !presented : presented && !socket.authorized) socket.destroy();
    });
  }
  // Renewed certificates (and client CAs) apply to new connections without a restart.
  const stopWatching = await watchTlsFiles(tls, (options) => server.setSecureContext(options), log);
  return { server, stopWatching };
}

export async function listen(listener: RequestListener, options: ListenOptions, log: Logger): Promise<RunningListener> {
  const { server, stopWatching } = await createServer(listener, options.tls, log);
  // With TLS a plain TCP server in front answers plain HTTP with a readable 400 and hands TLS on.
  const front: net.Server = options.tls ? plainHttpGuard(server) : server;
  // What node:http answers itself (a bare 400, or a dropped connection for CONNECT) gets the spec's JSON
  // error instead: 405 for a method nothing serves, 400 for a request it cannot parse.
  server.on('clientError', answerClientError);
  server.on('connect', answerConnect);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen(options.port, options.host, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const port = (front.address() as AddressInfo).port;
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
      stopWatching();
      front.close(() => {
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
