// The reference registry (CNCF distribution 2.8.2, Debian's `docker-registry`) on 127.0.0.1 with its own
// config, data and log: the peer to interoperate and benchmark against, and a real upstream for mirror tests.

import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAccessLog, type AccessLogEntry } from './access-log.js';
import { deepMerge, type JsonObject } from './deep-merge.js';
import { freePort } from './free-port.js';
import { logSize, readLogText } from './log-file.js';
import { writeHtpasswdFile, type Credentials } from './htpasswd.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { tempDir } from './temp-dir.js';
import { TestbedError } from './testbed-error.js';
import { waitForHttp } from './wait-for-http.js';

export interface ReferenceRegistryOptions {
  /** Where blobs and repositories live (kept on stop when given); a fresh temp dir unless told. */
  rootDirectory?: string;
  deleteEnabled?: boolean;
  /** Turns on `auth.htpasswd` with this one user. */
  htpasswd?: Credentials;
  /**
   * The storage driver section instead of `filesystem` (deep merge cannot remove a driver, and distribution
   * refuses two), e.g. `{ s3: { bucket, regionendpoint, ... } }`; `delete` and the rest still come from the
   * other options and extraConfig. `rootDirectory` is then unused.
   */
  storageDriver?: JsonObject;
  /** Deep-merged over the generated config, e.g. `{ proxy: { remoteurl } }` or a storage cache. */
  extraConfig?: JsonObject;
  /** A fixed port instead of a free one (no retry when it is taken). */
  port?: number;
  startTimeoutMs?: number;
}

export interface ReferenceRegistry {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, the form image references use. */
  readonly host: string;
  readonly rootDirectory: string;
  readonly configPath: string;
  /** stdout + stderr, including the access log. */
  readonly logFile: string;
  readonly process: ManagedProcess;
  /** The requests it has served so far, from its access log. */
  accessLog(): Promise<AccessLogEntry[]>;
  stop(): Promise<void>;
}

const PORT_ATTEMPTS = 5;

export async function startReferenceRegistry(options: ReferenceRegistryOptions = {}): Promise<ReferenceRegistry> {
  const work = await tempDir('reference-registry');
  try {
    const rootDirectory = options.rootDirectory ?? join(work.path, 'data');
    await mkdir(rootDirectory, { recursive: true });
    let htpasswdPath: string | undefined;
    if (options.htpasswd !== undefined) {
      htpasswdPath = join(work.path, 'htpasswd');
      await writeHtpasswdFile(htpasswdPath, [options.htpasswd]);
    }
    for (let attempt = 1; ; attempt += 1) {
      const port = options.port ?? (await freePort());
      const configPath = join(work.path, `config-${port}.yml`);
      // JSON is YAML: distribution reads this as its config.yml without a YAML writer here.
      const config = registryConfig({ port, rootDirectory, deleteEnabled: options.deleteEnabled ?? false, htpasswdPath, storageDriver: options.storageDriver });
      await writeFile(configPath, JSON.stringify(deepMerge(config, options.extraConfig ?? {}), null, 2));
      const logFile = join(work.path, 'registry.log');
      const logOffset = await logSize(logFile);
      const registryProcess = await startProcess({
        name: 'docker-registry',
        command: 'docker-registry',
        args: ['serve', configPath],
        logFile,
        // distribution also reads REGISTRY_* variables (REGISTRY_HTTP_ADDR, ...): never let a test's leak in.
        env: withoutRegistryVariables(),
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForHttp(`${url}/v2/`, {
          timeoutMs: options.startTimeoutMs ?? 15_000,
          okStatuses: [200, 401],
          process: registryProcess,
        });
      } catch (err) {
        await registryProcess.stop({ graceMs: 1_000 });
        const portTaken = (await readLogText(logFile, logOffset)).includes('address already in use');
        if (portTaken && options.port === undefined && attempt < PORT_ATTEMPTS) continue;
        throw err;
      }
      return {
        url,
        port,
        host: `127.0.0.1:${port}`,
        rootDirectory,
        configPath,
        logFile,
        process: registryProcess,
        accessLog: async () => parseAccessLog(await registryProcess.readLog()),
        stop: async () => {
          await registryProcess.stop();
          await work.remove();
        },
      };
    }
  } catch (err) {
    await work.remove();
    if (err instanceof TestbedError) throw err;
    throw new TestbedError('PROCESS_EXITED', `reference registry did not start: ${String(err)}`, { cause: err });
  }
}

function registryConfig(settings: {
  port: number;
  rootDirectory: string;
  deleteEnabled: boolean;
  htpasswdPath: string | undefined;
  storageDriver: JsonObject | undefined;
}): JsonObject {
  return {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      ...(settings.storageDriver ?? { filesystem: { rootdirectory: settings.rootDirectory } }),
      delete: { enabled: settings.deleteEnabled },
    },
    http: {
      addr: `127.0.0.1:${settings.port}`,
      // Without a secret distribution warns and makes up one of its own.
      secret: randomBytes(16).toString('hex'),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    ...(settings.htpasswdPath === undefined ? {} : { auth: { htpasswd: { realm: 'testbed', path: settings.htpasswdPath } } }),
  };
}

function withoutRegistryVariables(): Record<string, string | undefined> {
  const removed: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('REGISTRY_')) removed[key] = undefined;
  }
  // With AWS_CA_BUNDLE set (some CI images set it machine-wide), distribution 2.8.2's s3 driver panics at start:
  // "LoadCustomCABundleError: unable to load custom CA bundle, HTTPClient's transport unsupported type".
  removed['AWS_CA_BUNDLE'] = undefined;
  return removed;
}
