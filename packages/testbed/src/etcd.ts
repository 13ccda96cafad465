// A private etcd 3.4 server (TESTBED.md's line: one member, fast heartbeat and election) on free loopback
// ports with its own data dir. stop() and start() keep the data dir and ports, so a test can take etcd away
// and bring the same cluster back; remove() stops it for good and deletes the dir.

import { join } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { runCommand, type CommandResult } from './command.js';
import { freePort } from './free-port.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { tempDir } from './temp-dir.js';
import { waitForHttp } from './wait-for-http.js';

export interface Etcd {
  /** `http://127.0.0.1:PORT`, what `--etcd` takes. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly dataDir: string;
  /** The member's peer URL (`etcdctl snapshot restore --initial-cluster t=<peerUrl>` needs it). */
  readonly peerUrl: string;
  readonly logFile: string;
  /** The running server's pid, or undefined while stopped. */
  pid(): number | undefined;
  isRunning(): boolean;
  /** SIGTERM (or `signal`), keeping the data. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports and data; waits for /health. */
  start(): Promise<void>;
  /** etcdctl against this server (API v3). */
  etcdctl(args: readonly string[]): Promise<CommandResult>;
  remove(): Promise<void>;
}

export async function startEtcd(): Promise<Etcd> {
  const work = await tempDir('etcd');
  const [clientPort, peerPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const logFile = join(work.path, 'etcd.log');
  const dataDir = join(work.path, 'data');
  let current: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    if (current?.isRunning()) return;
    current = await startProcess({
      name: 'etcd',
      command: 'etcd',
      args: [
        '--name', 't',
        '--data-dir', dataDir,
        '--listen-client-urls', endpoint,
        '--advertise-client-urls', endpoint,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `t=${peer}`,
        '--listen-metrics-urls', `http://127.0.0.1:${metricsPort}`,
        '--heartbeat-interval', '10',
        '--election-timeout', '100',
      ],
      logFile,
      // etcd reads ETCD_* variables as flags: never let the caller's environment leak in.
      env: Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('ETCD')).map((k) => [k, undefined])),
    });
    await waitForHttp(`http://127.0.0.1:${metricsPort}/health`, { timeoutMs: 20_000, process: current });
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (current === undefined) return;
    await current.stop({ signal, graceMs: 5_000 });
  };
  // Synchronous cleanup (at exit) needs nothing here: startProcess registers the server's own entry.
  const unregister = registerCleanup({ name: `etcd in ${work.path}`, stop: () => remove(), stopSync: () => undefined });
  async function remove(): Promise<void> {
    unregister();
    await stop();
    await work.remove();
  }

  await start();
  return {
    endpoint,
    clientPort,
    dataDir,
    peerUrl: peer,
    logFile,
    pid: () => (current?.isRunning() ? current.pid : undefined),
    isRunning: () => current?.isRunning() ?? false,
    stop,
    start,
    etcdctl: (args) => runCommand('etcdctl', ['--endpoints', endpoint, ...args], { env: { ETCDCTL_API: '3' } }),
    remove,
  };
}
