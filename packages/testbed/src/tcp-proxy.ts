// A TCP proxy on a free loopback port in front of a server, that a test can cut (every connection reset,
// new ones refused) and restore: a network partition between one client and a server that keeps running.

import { createServer, connect, type Socket } from 'node:net';
import { registerCleanup } from './cleanup-registry.js';

export interface TcpProxy {
  readonly port: number;
  /** `127.0.0.1:PORT` */
  readonly address: string;
  /** Resets every open connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy has no port');
  const close = async (): Promise<void> => {
    unregister();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const unregister = registerCleanup({ name: `tcp proxy :${address.port}`, stop: close, stopSync: () => server.close() });
  return {
    port: address.port,
    address: `127.0.0.1:${address.port}`,
    cut: () => {
      cut = true;
      for (const socket of sockets) socket.resetAndDestroy();
    },
    restore: () => {
      cut = false;
    },
    close,
  };
}
