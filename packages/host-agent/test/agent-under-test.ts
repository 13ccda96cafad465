// One in-process host agent against a real etcd, with short timings and its log kept, for the loop's tests.
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { createLogger, type RegistryRecord } from '@private-registry/core';
import { createEtcdClient } from '@private-registry/core/etcd';
import { cleanupTestbed, startEtcd, tempDir, type Etcd } from '@private-registry/testbed';
import type { Etcd3 } from 'etcd3';
import { AgentStateStore } from '../src/agent-state.js';
import { HostAgent, type AgentEvents, type AgentTimings } from '../src/host-agent.js';
import { createHostFileWriters, HostRoot } from '../src/host-files/index.js';
import { Reconciler } from '../src/reconciler.js';

export const PREFIX = '/services/docker-registry/';

export function record(port: number): RegistryRecord {
  return { id: `10.1.0.1:${port}`, url: `http://10.1.0.1:${port}`, scheme: 'http', host: '10.1.0.1', port, hostname: 'reg', version: '1', startedAt: new Date().toISOString() };
}

export interface RunningAgent {
  agent: HostAgent;
  root: HostRoot;
  logLines: string[];
  dockerRepo(): Promise<string | undefined>;
}

export interface AgentUnderTestOptions extends Partial<AgentTimings> {
  endpoint: string;
  events?: AgentEvents;
}

/** Starts an agent writing the environment and docker files under a fresh root; stop() also closes its client. */
export async function startAgentUnderTest(options: AgentUnderTestOptions): Promise<RunningAgent> {
  const root = new HostRoot((await tempDir('agent-loop')).path);
  const logLines: string[] = [];
  const log = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        done();
      },
    }),
  });
  const agentClient = createEtcdClient({ endpoints: [options.endpoint], dialTimeoutMs: 1_000 });
  const reconciler = await Reconciler.open({
    writers: createHostFileWriters({ root, enabled: ['environment', 'docker'] }),
    store: new AgentStateStore(root.path('/var/lib/registry-host-agent/state.json')),
    log,
    dryRun: false,
  });
  const agent = new HostAgent({
    client: agentClient,
    prefix: PREFIX,
    identity: { hostname: 'h', addresses: [], key: 'h' },
    policy: { preferLocal: true },
    reconciler,
    log,
    timings: { settleMs: 20, holdMs: options.holdMs ?? 300, dwellMs: options.dwellMs ?? 0, resyncMs: options.resyncMs ?? 30_000 },
    ...(options.events === undefined ? {} : { events: options.events }),
  });
  const stop = agent.stop.bind(agent);
  agent.stop = async (cleanup: boolean) => {
    await stop(cleanup);
    agentClient.close();
  };
  agent.start();
  const dockerRepo = async (): Promise<string | undefined> =>
    (await readFile(root.path('/etc/environment'), 'utf8').catch(() => '')).split('\n').find((l) => l.startsWith('DOCKER_REPO='))?.slice(12);
  return { agent, root, logLines, dockerRepo };
}

export interface AgentTestbed {
  /** The suite's etcd (started before its first test). */
  readonly etcd: Etcd;
  /** A client of the test's own, for announcing and withdrawing. */
  readonly client: Etcd3;
  /** Starts an agent against the suite's etcd (or `endpoint`); it is stopped, without cleanup, after the test. */
  start(options?: Partial<AgentUnderTestOptions>): Promise<RunningAgent>;
  /** The test stops these itself: not stopped again after it. */
  release(...agents: RunningAgent[]): void;
}

/**
 * Hooks into the calling describe(): one etcd for the suite, every agent started by a test stopped after it and
 * the prefix emptied, etcd and temp dirs gone at the end.
 */
export function useAgentTestbed(): AgentTestbed {
  let etcd: Etcd | undefined;
  let client: Etcd3 | undefined;
  const running: HostAgent[] = [];
  before(async () => {
    etcd = await startEtcd();
    client = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 1_000 });
  });
  afterEach(async () => {
    while (running.length > 0) await running.pop()!.stop(false);
    await client?.delete().prefix(PREFIX);
  });
  after(async () => {
    client?.close();
    await cleanupTestbed();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the agent testbed starts in before()');
    return value;
  };
  return {
    get etcd() {
      return started(etcd);
    },
    get client() {
      return started(client);
    },
    async start(options = {}) {
      const agent = await startAgentUnderTest({ ...options, endpoint: options.endpoint ?? started(etcd).endpoint });
      running.push(agent.agent);
      return agent;
    },
    release(...agents) {
      for (const { agent } of agents) {
        const at = running.indexOf(agent);
        if (at >= 0) running.splice(at, 1);
      }
    },
  };
}

/** Polls `read` until it returns `expected` (compared as JSON); resolves with the milliseconds it took. */
export async function waitFor(read: () => Promise<unknown>, expected: unknown, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (JSON.stringify(value) === JSON.stringify(expected)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms, expected ${JSON.stringify(expected)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
