// Our registry as a real process on S3 (s3rver from the testbed): a config file written as the operator
// writes it (YAML text, or JSON) with nothing of the filesystem default, plus REGISTRY_* variables.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI_PATH,
  freePort,
  logSize,
  readLogLines,
  readLogText,
  startProcess,
  tempDir,
  waitForHttp,
  withoutRegistryEnv,
  type ManagedProcess,
  type S3rver,
} from '@private-registry/testbed';
import { parseRequestLog, type RequestLogEntry } from './registry-under-test.js';

export interface S3RegistryProcess {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly process: ManagedProcess;
  readonly logFile: string;
  logText(): Promise<string>;
  logOffset(): Promise<number>;
  /** Access-log entries written after `offset`, waiting up to `settleMs` for one that matches `until`. */
  requestsSince(offset: number, until?: (entry: RequestLogEntry) => boolean, settleMs?: number): Promise<RequestLogEntry[]>;
  stop(): Promise<void>;
}

export interface S3RegistryOptions {
  /** The whole config file; `{{ADDR}}` is replaced by the listen address. */
  configText: string;
  env?: Record<string, string | undefined>;
  /** What `/v2/` answers once it is up: [200] unless told (401 with auth). */
  readyStatuses?: readonly number[];
}

export async function startS3Registry(options: S3RegistryOptions): Promise<S3RegistryProcess> {
  const work = await tempDir('our-registry-s3');
  const port = await freePort();
  const configPath = join(work.path, 'config.yml');
  await writeFile(configPath, options.configText.replaceAll('{{ADDR}}', `127.0.0.1:${port}`));
  const logFile = join(work.path, 'registry.log');
  const child = await startProcess({
    command: process.execPath,
    args: [CLI_PATH, 'serve', '--config', configPath],
    logFile,
    env: withoutRegistryEnv(options.env),
    cwd: work.path,
    name: 'private-registry-s3',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/v2/`, { timeoutMs: 15_000, process: child, ...(options.readyStatuses ? { okStatuses: options.readyStatuses } : {}) });
  } catch (err) {
    await child.stop({ graceMs: 1_000 });
    throw new Error(`registry on S3 did not start: ${String(err)}\n${await readLogText(logFile, 0).catch(() => '')}`);
  }
  return {
    url,
    host: `127.0.0.1:${port}`,
    port,
    process: child,
    logFile,
    logText: () => readLogText(logFile, 0),
    logOffset: () => logSize(logFile),
    requestsSince: async (offset, until, settleMs = 2_000) => {
      const deadline = Date.now() + settleMs;
      for (;;) {
        const entries = parseRequestLog(await readLogLines(logFile, offset));
        if (until === undefined || entries.some(until) || Date.now() >= deadline) return entries;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      await child.stop();
    },
  };
}

export interface S3StorageOptions {
  bucket: string;
  /** regionendpoint; the s3rver's own unless told (a fault proxy in front of it, say). */
  endpoint?: string;
  rootdirectory?: string;
  redirectDisable?: boolean;
  /** Extra top-level YAML lines (http.secret, say) are not needed: this is the storage section only. */
  extraS3?: Record<string, string>;
}

/** A JSON config (JSON is YAML) with only this S3 storage section. */
export function s3ConfigText(s3: S3rver, options: S3StorageOptions): string {
  return JSON.stringify(
    {
      version: '0.1',
      log: { level: 'info', accesslog: { disabled: false } },
      http: { addr: '{{ADDR}}', secret: 'replicas-share-this-secret' },
      storage: {
        s3: {
          accesskey: s3.accessKey,
          secretkey: s3.secretKey,
          region: s3.region,
          regionendpoint: options.endpoint ?? s3.endpoint,
          bucket: options.bucket,
          ...(options.rootdirectory === undefined ? {} : { rootdirectory: options.rootdirectory }),
          ...options.extraS3,
        },
        delete: { enabled: true },
        redirect: { disable: options.redirectDisable ?? true },
      },
    },
    null,
    2,
  );
}
