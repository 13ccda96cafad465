// A real S3 server for tests: s3rver 3.7.1 (TESTBED.md) as its own process on a free loopback port with its
// own data dir. It needs the legacy OpenSSL provider (else paginated listings answer 500), accepts the
// fixed credentials S3RVER/S3RVER and path-style requests, and lacks UploadPartCopy, ListParts,
// ListMultipartUploads and AbortMultipartUpload. Where its store breaks S3's promises (delimited listings,
// atomic overwrites) s3rver-fixes.cjs, preloaded, puts it right: see that file.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerCleanup } from './cleanup-registry.js';
import { freePort } from './free-port.js';
import { logSize, readLogText } from './log-file.js';
import { startProcess, type ManagedProcess } from './managed-process.js';
import { tempDir } from './temp-dir.js';
import { TestbedError } from './testbed-error.js';
import { waitForHttp } from './wait-for-http.js';

export interface S3rver {
  /** `http://127.0.0.1:PORT`: what `storage.s3.regionendpoint` takes. */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKey: 'S3RVER';
  readonly secretKey: 'S3RVER';
  /** Any region name works; this is the one its continuation tokens carry. */
  readonly region: 'us-east-1';
  /** Where it keeps buckets and objects (one directory per key segment). */
  readonly directory: string;
  readonly logFile: string;
  readonly process: ManagedProcess;
  /** Creates a bucket (a fresh random name unless told) and returns its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface S3rverOptions {
  /** No request log (it writes a line per request). */
  silent?: boolean;
  startTimeoutMs?: number;
  /** This port rather than a free one (a store that comes up where a registry already looks for it). */
  port?: number;
}

const PORT_ATTEMPTS = 5;

/** The s3rver CLI inside node_modules (a devDependency of the testbed). */
function s3rverBin(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  } catch (err) {
    throw new TestbedError('COMMAND_MISSING', 's3rver is not installed (npm install at the repository root)', { cause: err });
  }
}

/** s3rver-fixes.cjs in this package's src (tsc does not copy it): found from src/ and from dist/src/ alike. */
function fixesPreload(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'src', 's3rver-fixes.cjs');
}

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rver> {
  const bin = s3rverBin();
  const fixes = fixesPreload();
  const work = await tempDir('s3rver');
  const directory = join(work.path, 'data');
  const logFile = join(work.path, 's3rver.log');
  try {
    for (let attempt = 1; ; attempt += 1) {
      const port = options.port ?? (await freePort());
      const logOffset = await logSize(logFile);
      const server = await startProcess({
        name: 's3rver',
        command: process.execPath,
        args: ['--require', fixes, bin, '-d', directory, '-a', '127.0.0.1', '-p', String(port), ...(options.silent ? ['--silent'] : [])],
        logFile,
        // Exactly this, not the caller's NODE_OPTIONS (a test runner's loader has no business in s3rver).
        env: { NODE_OPTIONS: '--openssl-legacy-provider' },
      });
      const endpoint = `http://127.0.0.1:${port}`;
      try {
        // Anonymous ListBuckets: 200 once it listens.
        await waitForHttp(`${endpoint}/`, { timeoutMs: options.startTimeoutMs ?? 15_000, okStatuses: [200, 403], process: server });
      } catch (err) {
        await server.stop({ graceMs: 1_000 });
        if (options.port === undefined && (await readLogText(logFile, logOffset)).includes('EADDRINUSE') && attempt < PORT_ATTEMPTS) continue;
        throw err;
      }
      const unregister = registerCleanup({ name: `s3rver in ${work.path}`, stop: () => stop(), stopSync: () => undefined });
      const stop = async (): Promise<void> => {
        unregister();
        await server.stop({ graceMs: 5_000 });
        await work.remove();
      };
      return {
        endpoint,
        port,
        accessKey: 'S3RVER',
        secretKey: 'S3RVER',
        region: 'us-east-1',
        directory,
        logFile,
        process: server,
        createBucket: async (name = `bucket-${randomBytes(6).toString('hex')}`) => {
          // s3rver lets anonymous requests create buckets: no signing needed here.
          const response = await fetch(`${endpoint}/${name}`, { method: 'PUT', signal: AbortSignal.timeout(10_000) });
          const text = await response.text();
          if (!response.ok) throw new TestbedError('COMMAND_FAILED', `s3rver did not create bucket ${name}: ${response.status} ${text.slice(0, 300)}`);
          return name;
        },
        stop,
      };
    }
  } catch (err) {
    await work.remove();
    if (err instanceof TestbedError) throw err;
    throw new TestbedError('PROCESS_EXITED', `s3rver did not start: ${String(err)}`, { cause: err });
  }
}
