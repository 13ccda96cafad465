// What the sidekick tests share: the built CLI as a process with its JSON log, an etcd reader that keeps
// lease ids exact (etcdctl's JSON prints them as numbers past 2^53), tiny HTTP servers that answer /v2/
// with a fixed status, and polling until a condition holds.

import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Etcd3 } from 'etcd3';
import { parseRegistryRecord, type RegistryRecord } from '@private-registry/core';
import { createEtcdClient } from '@private-registry/core/etcd';
import { ourCliPath, startProcess, tempDir, type Etcd, type ManagedProcess } from '@private-registry/testbed';

export const SIDEKICK_CLI = ourCliPath('sidekick');

export interface SidekickProcess {
  readonly process: ManagedProcess;
  /** The JSON log lines so far, parsed. */
  logEntries(): Promise<LogEntry[]>;
  /** How many log lines have this `msg`. */
  countLog(msg: string): Promise<number>;
  waitForLog(msg: string, timeoutMs?: number): Promise<LogEntry>;
}

export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** `registry-sidekick run ARGS` as its own process (environment cleared of the sidekick's variables). */
export async function startSidekick(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<SidekickProcess> {
  const work = await tempDir('sidekick');
  const cleared = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith('SIDEKICK_') || k.startsWith('ETCD') || k === 'REGISTRY_URL' || k === 'DISCOVERY_PREFIX')
      .map((k) => [k, undefined]),
  );
  const child = await startProcess({
    command: process.execPath,
    args: [SIDEKICK_CLI, 'run', ...args],
    logFile: join(work.path, 'sidekick.log'),
    env: { ...cleared, ...env },
    name: 'registry-sidekick',
  });
  const logEntries = async (): Promise<LogEntry[]> =>
    (await child.readLog())
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogEntry);
  return {
    process: child,
    logEntries,
    countLog: async (msg) => (await logEntries()).filter((e) => e.msg === msg).length,
    waitForLog: async (msg, timeoutMs = 5_000) => {
      let found: LogEntry | undefined;
      await waitUntil(`log line "${msg}"`, async () => (found = (await logEntries()).find((e) => e.msg === msg)) !== undefined, timeoutMs);
      return found!;
    },
  };
}

/** Polls `condition` every 25 ms; throws naming `what` (and when given, the last state seen) after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface AnnouncedKey {
  record: RegistryRecord;
  value: string;
  /** Decimal lease id, '0' for none. */
  lease: string;
}

/** Reads etcd through etcd3 (exact int64 lease ids), with the same no-retry client the sidekick uses. */
export class EtcdReader {
  readonly client: Etcd3;

  constructor(readonly etcd: Etcd) {
    this.client = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 2_000 });
  }

  async read(key: string): Promise<AnnouncedKey | undefined> {
    const response = await this.client.get(key).exec();
    const kv = response.kvs[0];
    if (kv === undefined) return undefined;
    const value = kv.value.toString('utf8');
    return { record: parseRegistryRecord(value), value, lease: String(kv.lease) };
  }

  async waitForKey(key: string, timeoutMs: number, accept: (found: AnnouncedKey) => boolean = () => true): Promise<AnnouncedKey> {
    let found: AnnouncedKey | undefined;
    await waitUntil(`${key} in etcd`, async () => {
      found = await this.read(key).catch(() => undefined);
      return found !== undefined && accept(found);
    }, timeoutMs);
    return found!;
  }

  /** Resolves with how long the key took to disappear. */
  waitForNoKey(key: string, timeoutMs: number): Promise<number> {
    return waitUntil(`${key} gone from etcd`, async () => (await this.read(key).catch(() => 'error' as const)) === undefined, timeoutMs);
  }

  /** The lease's remaining TTL in seconds as etcdctl reports it; -1 once it is expired or revoked. */
  async leaseTtl(lease: string): Promise<number> {
    const result = await this.etcd.etcdctl(['lease', 'timetolive', BigInt(lease).toString(16)]);
    const granted = /remaining\((-?\d+)s\)/.exec(result.stdout);
    return granted === null ? -1 : Number(granted[1]);
  }

  close(): void {
    this.client.close();
  }
}

export interface FixedStatusServer {
  readonly url: string;
  readonly port: number;
  requests(): number;
  close(): Promise<void>;
}

/** An HTTP server that answers every request with `status` (and optional headers), or never answers. */
export async function startFixedStatusServer(status: number | 'hang', headers: Record<string, string> = {}): Promise<FixedStatusServer> {
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    if (status === 'hang') return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(status === 401 ? '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}' : '{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => count,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
