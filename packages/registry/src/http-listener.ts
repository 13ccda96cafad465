// Listening (plain HTTP or TLS) and graceful shutdown: stop accepting, let in-flight requests
// finish within a bound, then cut what is left.
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import type { SecureVersion } from 'node:tls';
import type { Logger } from '@private-registry/core';

export interface TlsFiles {
  certificate: string;
  key: string;
  clientCas?: string[];
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

async function createServer(listener: RequestListener, tls: TlsFiles | undefined): Promise<http.Server> {
  const common = {
    // Large blob pushes can take long: no overall request deadline, only one for headers.
    requestTimeout: 0,
    headersTimeout: 60_000,
    keepAliveTimeout: 65_000,
  };
  if (!tls) return http.createServer(common, listener);
  const [cert, key, ...cas] = await Promise.all([
    readFile(tls.certificate),
    readFile(tls.key),
    ...(tls.clientCas ?? []).map((path) => readFile(path)),
  ]);
  return https.createServer(
    {
      ...common,
      cert,
      key,
      ...(cas.length > 0 ? { ca: cas, requestCert: true, rejectUnauthorized: true } : {}),
      minVersion: tls.minimumTls ?? 'TLSv1.2',
    },
    listener,
  );
}

export async function listen(listener: RequestListener, options: ListenOptions, log: Logger): Promise<RunningListener> {
  const server = await createServer(listener, options.tls);
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
      const timer = setTimeout(() => {
        log.warn({ drainTimeoutMs: options.drainTimeoutMs }, 'drain timeout reached, closing remaining connections');
        server.closeAllConnections();
      }, options.drainTimeoutMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };
  return { server, url, port, close };
}
