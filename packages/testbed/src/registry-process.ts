// Our registry as a real separate process (the built CLI), as an operator runs it: a config file in
// distribution's format, REGISTRY_* variables, signals. For tests with real clients and peers, in any package
// (the testbed never imports the registry: it runs its built CLI).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deepMerge, type JsonObject } from './deep-merge.js';
import { freePort } from './free-port.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { ourCliPath } from './our-cli.js';
import { tempDir } from './temp-dir.js';
import { waitForHttp } from './wait-for-http.js';

export const CLI_PATH = ourCliPath('registry');

export interface RegistryProcessOptions {
  /** Storage root; a fresh temp dir unless told. Never removed by stop(): tests restart on it. */
  rootDirectory?: string;
  /** storage.delete.enabled (true unless told). */
  deleteEnabled?: boolean;
  /**
   * The storage driver section instead of `filesystem` (deep merge cannot remove a driver), e.g.
   * `{ s3: { bucket, regionendpoint, ... } }`; `rootDirectory` is then unused.
   */
  storageDriver?: JsonObject;
  /** Deep-merged over the generated config (distribution's format; JSON is YAML). */
  config?: JsonObject;
  /** A fixed port (a restart on the same address); a free one unless told. */
  port?: number;
  env?: Record<string, string | undefined>;
  /** https: readiness is then the "registry listening" log line. */
  scheme?: 'http' | 'https';
}

export interface RegistryProcess {
  readonly url: string;
  /** "127.0.0.1:PORT", for image references. */
  readonly host: string;
  readonly port: number;
  readonly rootDirectory: string;
  readonly configPath: string;
  readonly process: ManagedProcess;
  /** SIGTERM, wait (the drain), SIGKILL after the grace. */
  stop(): Promise<void>;
  /** SIGKILL at once: a crash, with no chance to finish anything. */
  kill(): Promise<void>;
}

const OLD_REGISTRY_ENV: readonly string[] = ['DOCKER_REGISTRY_CONFIG', 'SETTINGS_FLAVOR'];

/** Every REGISTRY_* variable of this test process removed: a developer's shell must not leak into the CLI. */
export function withoutRegistryEnv(env: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const cleared: Record<string, string | undefined> = {};
  // The old registry's variables pick a configuration file too (DOCKER_REGISTRY_CONFIG, SETTINGS_FLAVOR).
  for (const key of Object.keys(process.env)) if (key.startsWith('REGISTRY_') || OLD_REGISTRY_ENV.includes(key)) cleared[key] = undefined;
  return { ...cleared, ...env };
}

export async function startRegistryProcess(options: RegistryProcessOptions = {}): Promise<RegistryProcess> {
  const work = await tempDir('our-registry');
  const rootDirectory = options.rootDirectory ?? join(work.path, 'data');
  const port = options.port ?? (await freePort());
  const base: JsonObject = {
    version: '0.1',
    log: { level: 'info', accesslog: { disabled: false } },
    http: { addr: `127.0.0.1:${port}` },
    storage: { ...(options.storageDriver ?? { filesystem: { rootdirectory: rootDirectory } }), delete: { enabled: options.deleteEnabled ?? true } },
  };
  const configPath = join(work.path, 'config.yml');
  // Deep merge: extra settings under http (tls, say) must not drop the generated http.addr.
  await writeFile(configPath, JSON.stringify(deepMerge(base, options.config ?? {}), null, 2));
  const child = await startProcess({
    command: process.execPath,
    args: [CLI_PATH, 'serve', '--config', configPath],
    logFile: join(work.path, 'registry.log'),
    env: withoutRegistryEnv(options.env),
    cwd: work.path,
    name: 'private-registry',
  });
  const scheme = options.scheme ?? 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  try {
    // /healthz answers 200 with auth on too (/v2/ is 401 then).
    if (scheme === 'http') await waitForHttp(`${url}/healthz`, { timeoutMs: 15_000, process: child });
    else await child.waitForLog('registry listening', { timeoutMs: 15_000 });
    // With several workers (http.workers) the first one answers before the others serve: tests start once all
    // do, so that which worker a connection reaches never depends on how fast the machine is.
    // (The primary's line, in any log.formatter: json, logstash or text.)
    if (/"worker":\d|worker=\d/.test(await child.readLog())) await child.waitForLog(/\d+ workers serving/, { timeoutMs: 15_000 });
  } catch (err) {
    await child.stop({ graceMs: 1_000 });
    throw err;
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    rootDirectory,
    configPath,
    process: child,
    stop: async () => {
      await child.stop();
    },
    kill: async () => {
      await child.stop({ signal: 'SIGKILL' });
    },
  };
}
