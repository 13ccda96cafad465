// The discovery pieces as the processes an operator runs: the sidekick beside a registry and a host agent per
// "host" (its own --root directory and identity flags, since every agent here shares one machine).

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ourCliPath, startProcess, tempDir, type Etcd, type ManagedProcess } from '@private-registry/testbed';

export const PREFIX = '/services/docker-registry/';

export interface SidekickProcess {
  readonly process: ManagedProcess;
  readonly id: string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startSidekick(options: { etcd: Etcd; registryUrl: string; advertise: string; ttlSeconds: number; extraArgs?: string[] }): Promise<SidekickProcess> {
  const work = await tempDir('sidekick');
  const child = await startProcess({
    name: 'registry-sidekick',
    command: process.execPath,
    args: [
      ourCliPath('sidekick'), 'run',
      '--registry-url', options.registryUrl,
      '--advertise', options.advertise,
      '--etcd', options.etcd.endpoint,
      '--prefix', PREFIX,
      '--ttl', String(options.ttlSeconds),
      ...(options.extraArgs ?? []),
    ],
    logFile: join(work.path, 'sidekick.log'),
    env: { ETCD_ENDPOINTS: undefined },
  });
  return {
    process: child,
    id: options.advertise,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      await child.stop({ signal, graceMs: 5_000 });
    },
  };
}

export interface HostAgentProcess {
  readonly root: string;
  readonly hostname: string;
  readonly machineId: string;
  readonly process: ManagedProcess;
  /** <root>/etc/environment as it is now ('' when missing). */
  environment(): Promise<string>;
  /** The DOCKER_REPO value in <root>/etc/environment, if any. */
  dockerRepo(): Promise<string | undefined>;
  daemonJson(): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface HostAgentOptions {
  etcd: Etcd;
  index: number;
  /** An existing root (a dockerd's files live there); a fresh temp dir unless told. */
  root?: string;
  /** Lines every host's /etc/environment starts with, which the agent must keep. */
  environment?: string;
  extraArgs?: string[];
}

export async function startHostAgent(options: HostAgentOptions): Promise<HostAgentProcess> {
  const root = options.root ?? (await tempDir(`agent-${options.index}`)).path;
  const envPath = join(root, 'etc', 'environment');
  if (options.environment !== undefined) {
    await mkdir(dirname(envPath), { recursive: true });
    await writeFile(envPath, options.environment);
  }
  const hostname = `host-${options.index}`;
  const machineId = `machine-${options.index}`;
  const child = await startProcess({
    name: `registry-host-agent-${options.index}`,
    command: process.execPath,
    args: [
      ourCliPath('host-agent'), 'run',
      '--etcd', options.etcd.endpoint,
      '--prefix', PREFIX,
      '--root', root,
      '--hostname', hostname,
      '--machine-id', machineId,
      '--address', `10.99.0.${options.index + 1}`,
      ...(options.extraArgs ?? ['--docker-reload', 'none']),
    ],
    logFile: join(root, `agent-${options.index}.log`),
    env: { ETCD_ENDPOINTS: undefined },
  });
  const readText = async (path: string): Promise<string> => readFile(path, 'utf8').catch(() => '');
  return {
    root,
    hostname,
    machineId,
    process: child,
    environment: () => readText(envPath),
    dockerRepo: async () => {
      const line = (await readText(envPath)).split('\n').find((l) => l.startsWith('DOCKER_REPO='));
      return line?.slice('DOCKER_REPO='.length);
    },
    daemonJson: async () => {
      const text = await readText(join(root, 'etc', 'docker', 'daemon.json'));
      return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    },
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => (await child.stop({ signal, graceMs: 10_000 })).code,
  };
}

/** Polls `read` until it returns `expected`; resolves with the milliseconds it took. */
export async function waitForValue<T>(read: () => Promise<T>, expected: T, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (JSON.stringify(last) === JSON.stringify(expected)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms, expected ${JSON.stringify(expected)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
