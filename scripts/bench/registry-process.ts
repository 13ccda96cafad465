// Starts a registry (ours or the reference) as its own process on a free loopback port, with a
// fresh filesystem data directory (or an S3 bucket) and the same distribution-format config, and stops it by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from './statistics.js';
import { mallocTunables } from '../../packages/registry/src/malloc-tuning.js';

export type RegistryKind = 'ours' | 'reference';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUR_CLI = join(REPO_ROOT, 'packages/registry/dist/src/cli.js');

/** What actually runs in a slot: our CLI, or distribution's binary (also usable in the "ours" slot for an A/A check). */
export type RegistryImplementation = 'private-registry' | 'docker-registry';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
});
// Without these, a signal ends the bench without 'exit' and the servers it started would linger.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Extra config: a pull-through upstream and the access log (mirror group), S3 storage (s3), an auth section (auth). */
export interface RegistryConfigOptions {
  /** `proxy.remoteurl`: run as a pull-through cache of this registry. */
  proxyRemoteUrl?: string;
  /** Write the access log (combined log format, on stdout: into server.log). */
  accessLog?: boolean;
  /** Store in this S3 bucket (s3rver from the testbed) instead of the filesystem. */
  s3?: S3Storage;
  /** An `auth` section: htpasswd users (both kinds), and our built-in token service (ours only). */
  auth?: AuthSection;
  /** Ours: http.workers (1 unless told, so that figures compare with earlier runs; the default is one per core). */
  workers?: number;
}

/** `auth.htpasswd`, and optionally `auth.token` with `builtin` (our token service; distribution 2.8 has none). */
export interface AuthSection {
  realm: string;
  htpasswdPath: string;
  token?: { service: string; issuer: string; expiration: string };
}

function authLines(auth: AuthSection | undefined): string[] {
  if (auth === undefined) return [];
  const lines = ['auth:', '  htpasswd:', `    realm: ${JSON.stringify(auth.realm)}`, `    path: ${JSON.stringify(auth.htpasswdPath)}`];
  if (auth.token !== undefined) {
    lines.push(
      '  token:',
      `    service: ${JSON.stringify(auth.token.service)}`,
      `    issuer: ${JSON.stringify(auth.token.issuer)}`,
      '    builtin:',
      `      expiration: ${JSON.stringify(auth.token.expiration)}`,
    );
  }
  return lines;
}

/** A bucket on an S3-compatible store reached over plain http (the S3 group: s3rver). */
export interface S3Storage {
  endpoint: string;
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** storage.redirect.disable: the registry streams blob GETs itself instead of answering 307 to the store. */
  redirectDisabled: boolean;
}

function storageLines(dataDir: string, s3: S3Storage | undefined): string[] {
  if (s3 === undefined) return ['  filesystem:', `    rootdirectory: ${JSON.stringify(dataDir)}`];
  return [
    '  s3:',
    `    accesskey: ${JSON.stringify(s3.accessKey)}`,
    `    secretkey: ${JSON.stringify(s3.secretKey)}`,
    `    region: ${JSON.stringify(s3.region)}`,
    `    regionendpoint: ${JSON.stringify(s3.endpoint)}`,
    `    bucket: ${JSON.stringify(s3.bucket)}`,
    '    secure: false',
    '    v4auth: true',
    '  redirect:',
    `    disable: ${s3.redirectDisabled}`,
  ];
}

/** distribution's config format; ours reads the same keys. Access log off (unless asked), errors only. */
function configYaml(port: number, dataDir: string, options: RegistryConfigOptions = {}, ours = true): string {
  const workers = options.workers ?? 1;
  return [
    'version: 0.1',
    'log:',
    // With workers, "N workers serving" (info) says when all of them serve; requests log nothing either way.
    `  level: ${workers > 1 ? 'info' : 'error'}`,
    '  accesslog:',
    `    disabled: ${options.accessLog === true ? 'false' : 'true'}`,
    'storage:',
    ...storageLines(dataDir, options.s3),
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    ...(ours ? [`  workers: ${workers}`] : []),
    ...(options.proxyRemoteUrl === undefined ? [] : ['proxy:', `  remoteurl: ${JSON.stringify(options.proxyRemoteUrl)}`]),
    ...authLines(options.auth),
    '',
  ].join('\n');
}

export class RegistryProcess {
  private constructor(
    readonly kind: RegistryKind,
    readonly implementation: RegistryImplementation,
    readonly baseUrl: string,
    readonly dataDir: string,
    readonly logPath: string,
    private readonly child: ChildProcess,
  ) {}

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.kind} registry has no pid`);
    return this.child.pid;
  }

  /** nodeArgs go before our CLI (e.g. --cpu-prof); they do not apply to docker-registry. */
  static async start(
    kind: RegistryKind,
    implementation: RegistryImplementation,
    dir: string,
    nodeArgs: readonly string[] = [],
    config: RegistryConfigOptions = {},
  ): Promise<RegistryProcess> {
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    const dataDir = join(dir, 'data');
    const configPath = join(dir, 'config.yml');
    const logPath = join(dir, 'server.log');
    await writeFile(configPath, configYaml(port, dataDir, config, implementation === 'private-registry'));
    const [command, args] =
      implementation === 'docker-registry'
        ? ['docker-registry', ['serve', configPath]]
        : [process.execPath, [...nodeArgs, OUR_CLI, 'serve', '--config', configPath]];
    if (implementation === 'private-registry' && !existsSync(OUR_CLI)) {
      throw new Error(`${OUR_CLI} is missing: run \`npm run build\` first (or use --ours-reference)`);
    }
    const log = openSync(logPath, 'a');
    // AWS_CA_BUNDLE (set machine-wide on some hosts) makes distribution 2.8.2's s3 driver panic at start:
    // "LoadCustomCABundleError: unable to load custom CA bundle, HTTPClient's transport unsupported type".
    const env = { ...process.env };
    if (implementation === 'docker-registry') delete env['AWS_CA_BUNDLE'];
    // Ours runs as scripts/start.sh and the image run it: with glibc's malloc tuned (malloc-tuning.ts).
    else env['GLIBC_TUNABLES'] = mallocTunables(env['GLIBC_TUNABLES']);
    const child = spawn(command, args, { cwd: dir, stdio: ['ignore', log, log], env });
    closeSync(log);
    live.add(child);
    child.once('exit', () => live.delete(child));
    const registry = new RegistryProcess(kind, implementation, `http://127.0.0.1:${port}`, dataDir, logPath, child);
    await registry.waitReady(15_000, implementation === 'private-registry' && (config.workers ?? 1) > 1);
    return registry;
  }

  /** `allWorkers`: also wait for the primary's "N workers serving" (the first worker answers before the rest). */
  private async waitReady(timeoutMs: number, allWorkers = false): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.kind} registry exited during startup:\n${this.logTail()}`);
      }
      if ((await probe(`${this.baseUrl}/v2/`)) && (!allWorkers || / workers serving"/.test(this.logTail(200)))) return;
      await sleep(50);
    }
    throw new Error(`${this.kind} registry not ready after ${timeoutMs} ms:\n${this.logTail()}`);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => this.child.once('exit', () => resolveExit()));
    this.child.kill('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!killed) {
      this.child.kill('SIGKILL');
      await exited;
    }
  }
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolveProbe(response.statusCode === 200 || response.statusCode === 401);
    });
    request.setTimeout(1_000, () => request.destroy());
    request.once('error', () => resolveProbe(false));
  });
}
