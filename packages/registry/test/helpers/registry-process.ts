// Our registry as a real separate process (the built CLI), for tests with real clients and peers.
import { writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deepMerge, freePort, startProcess, tempDir, waitForHttp, type JsonObject, type ManagedProcess } from '@private-registry/testbed';

export const CLI_PATH = join(dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli.js');

export interface RegistryProcess {
  url: string;
  /** "127.0.0.1:PORT", for image references. */
  host: string;
  port: number;
  rootDirectory: string;
  configPath: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

export interface RegistryProcessOptions {
  rootDirectory?: string;
  deleteEnabled?: boolean;
  /** Merged into the generated config (distribution's format, as a JSON object: YAML is a superset). */
  extraConfig?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  /** https instead of http when the config sets http.tls (waitForHttp must then trust the cert). */
  scheme?: 'http' | 'https';
}

export async function startRegistryProcess(options: RegistryProcessOptions = {}): Promise<RegistryProcess> {
  const work = await tempDir('registry-process');
  const rootDirectory = options.rootDirectory ?? join(work.path, 'data');
  const port = await freePort();
  // Deep merge: extra settings under http (tls, say) must not drop the generated http.addr.
  const config = deepMerge(
    {
      version: '0.1',
      log: { level: 'info', accesslog: { disabled: false } },
      http: { addr: `127.0.0.1:${port}` },
      storage: { filesystem: { rootdirectory: rootDirectory }, delete: { enabled: options.deleteEnabled ?? true } },
    },
    (options.extraConfig ?? {}) as JsonObject,
  );
  const configPath = join(work.path, 'config.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const child = await startProcess({
    command: process.execPath,
    args: [CLI_PATH, 'serve', '--config', configPath],
    logFile: join(work.path, 'registry.log'),
    env: { REGISTRY_CONFIGURATION_PATH: undefined, ...options.env },
    name: 'private-registry',
  });
  const url = `${options.scheme ?? 'http'}://127.0.0.1:${port}`;
  if ((options.scheme ?? 'http') === 'http') await waitForHttp(`${url}/v2/`, { timeoutMs: 15_000, process: child });
  else await child.waitForLog('registry listening', { timeoutMs: 15_000 });
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    rootDirectory,
    configPath,
    process: child,
    stop: async () => {
      await child.stop();
      await work.remove();
    },
  };
}
