// A private Docker engine (TESTBED.md's dockerd line: vfs, no iptables, no bridge) with its own data root,
// exec root, pidfile and socket in one temp dir, plus the docker CLI pointed at it. stop() takes down
// dockerd, its containerd and shims, and any container processes, then unmounts and removes the dir.

import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { runCommand, type CommandResult, type RunCommandOptions } from './command.js';
import { deepMerge, type JsonObject } from './deep-merge.js';
import { exitedError, startProcess } from './managed-process.js';
import { unmountUnder } from './mounts.js';
import { killProcessesUsingDirectory, killProcessesUsingDirectorySync } from './process-table.js';
import { tempDir } from './temp-dir.js';
import { TestbedError } from './testbed-error.js';

export interface DockerdOptions {
  registryMirrors?: string[];
  /** Hosts (`127.0.0.1:PORT`) or CIDRs; dockerd already treats 127.0.0.0/8 as insecure (plain http). */
  insecureRegistries?: string[];
  startTimeoutMs?: number;
  /** dockerd's --config-file (its directory is made); <dataDir>/daemon.json unless told. */
  daemonJsonPath?: string;
  /** dockerd's --pidfile; <dataDir>/dockerd.pid unless told. */
  pidFile?: string;
  /**
   * A directory that stands for the host's /etc/docker: dockerd runs in a private mount namespace with it bound
   * over /etc/docker and no --config-file, so it reads <dir>/daemon.json the way a host's dockerd reads its
   * default file, and a missing file is fine. TESTBED.md's required settings are then passed as flags.
   */
  etcDockerDir?: string;
  /** dockerd's API socket; <dataDir>/docker.sock unless told (its directory is made). */
  socketPath?: string;
  /** More dockerd flags (`--registry-mirror http://...`, as a host's DOCKER_OPTS would set). */
  extraArgs?: string[];
}

export interface Dockerd {
  /** `unix:///tmp/testbed-dockerd-XXXXXX/docker.sock` */
  readonly dockerHost: string;
  readonly dataDir: string;
  readonly daemonJsonPath: string;
  readonly pidFile: string;
  readonly logFile: string;
  /** The running dockerd's pid (changes with restart()). */
  readonly pid: number;
  /** DOCKER_HOST, plus a private DOCKER_CONFIG so `docker login` never writes ~/.docker. */
  readonly env: Readonly<Record<string, string>>;
  docker(args: readonly string[], options?: RunCommandOptions): Promise<CommandResult>;
  /**
   * Writes daemon.json: TESTBED.md's required keys merged with `settings` (settings win). A key left out
   * keeps its old value across reload(): write `"registry-mirrors": []` to clear mirrors.
   */
  writeDaemonJson(settings: JsonObject): Promise<void>;
  /** SIGHUP, then waits for dockerd to log that it reloaded (throws when it logs a reload error). */
  reload(): Promise<void>;
  /** Stops dockerd (SIGTERM, containers first) and starts it again with the same flags; throws when it does not come up. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** What dockerd needs on this machine kind (TESTBED.md): vfs rather than overlay, no iptables, no bridge. */
export const REQUIRED_DAEMON_JSON: JsonObject = { 'storage-driver': 'vfs', iptables: false, 'ip-masq': false, bridge: 'none' };

/** TESTBED.md's required settings as dockerd flags, for an engine that reads no daemon.json of ours. */
const REQUIRED_FLAGS = ['--storage-driver', 'vfs', '--iptables=false', '--ip-masq=false', '--bridge', 'none'];

export async function startDockerd(options: DockerdOptions = {}): Promise<Dockerd> {
  const work = await tempDir('dockerd');
  const dataDir = work.path;
  const socketPath = options.socketPath ?? join(dataDir, 'docker.sock');
  await mkdir(dirname(socketPath), { recursive: true });
  const etcDocker = options.etcDockerDir;
  const daemonJsonPath = etcDocker === undefined ? (options.daemonJsonPath ?? join(dataDir, 'daemon.json')) : join(etcDocker, 'daemon.json');
  const pidFile = options.pidFile ?? join(dataDir, 'dockerd.pid');
  const logFile = join(dataDir, 'dockerd.log');
  const dockerHost = `unix://${socketPath}`;
  const env = { DOCKER_HOST: dockerHost, DOCKER_CONFIG: join(dataDir, 'cli-config') };

  const writeDaemonJson = (settings: JsonObject): Promise<void> =>
    writeFile(daemonJsonPath, `${JSON.stringify(deepMerge(REQUIRED_DAEMON_JSON, settings), null, 2)}\n`);
  await mkdir(dirname(daemonJsonPath), { recursive: true });
  if (etcDocker === undefined) {
    await writeDaemonJson({
      ...(options.registryMirrors === undefined ? {} : { 'registry-mirrors': options.registryMirrors }),
      ...(options.insecureRegistries === undefined ? {} : { 'insecure-registries': options.insecureRegistries }),
    });
  }

  // Registered before dockerd starts, so it runs after dockerd's own process entry (cleanup is newest first).
  const unregisterLeftovers = registerCleanup({
    name: `dockerd leftovers in ${dataDir}`,
    stop: () => removeLeftovers(),
    stopSync: () => {
      killProcessesUsingDirectorySync(dataDir);
      unmountUnder(dataDir);
    },
  });
  async function removeLeftovers(): Promise<void> {
    unregisterLeftovers();
    // containerd leads its own process group, and shims theirs: find them by our directory.
    await killProcessesUsingDirectory(dataDir);
    unmountUnder(dataDir);
  }

  const engineArgs = [
    ...(etcDocker === undefined ? ['--config-file', daemonJsonPath] : REQUIRED_FLAGS),
    '--data-root', join(dataDir, 'root'),
    '--exec-root', join(dataDir, 'exec'),
    '--host', dockerHost,
    '--pidfile', pidFile,
    ...(options.extraArgs ?? []),
  ];
  // With etcDockerDir: `unshare` gives dockerd a mount namespace of its own, where the bind mount hides the
  // machine's /etc/docker from it alone; `exec` keeps the pid, so the pidfile names the process we started.
  const launch = () =>
    startProcess({
      name: 'dockerd',
      ...(etcDocker === undefined
        ? { command: 'dockerd', args: engineArgs }
        : { command: 'unshare', args: ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /etc/docker && exec dockerd "$@"', etcDocker, ...engineArgs] }),
      logFile,
      env: { DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined, DOCKER_TLS_VERIFY: undefined, DOCKER_CERT_PATH: undefined },
    });
  let daemon = await launch();

  const docker = (args: readonly string[], runOptions: RunCommandOptions = {}): Promise<CommandResult> =>
    runCommand(dockerCli(), args, { ...runOptions, env: { ...env, DOCKER_CONTEXT: undefined, ...runOptions.env } });

  let stopped: Promise<void> | undefined;
  const stopEngine = async (): Promise<void> => {
    if (daemon.isRunning()) {
      // On SIGTERM dockerd gives running containers up to 15 s to stop: kill them first.
      const running = await docker(['ps', '-q'], { timeoutMs: 10_000 });
      const ids = running.stdout.split('\n').filter((id) => id !== '');
      if (running.exitCode === 0 && ids.length > 0) await docker(['kill', ...ids], { timeoutMs: 20_000 });
    }
    await daemon.stop({ graceMs: 15_000 });
  };
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      unregisterEngine();
      await stopEngine();
      await removeLeftovers();
      await work.remove();
    })();
    return stopped;
  };

  // Newest entry, so cleanupTestbed runs this whole stop (containers first) rather than a bare SIGTERM.
  const unregisterEngine = registerCleanup({
    name: `dockerd pid ${daemon.pid} in ${dataDir}`,
    stop,
    stopSync: () => killProcessesUsingDirectorySync(dataDir),
  });

  try {
    await waitForPing(socketPath, daemon, options.startTimeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dockerHost,
    dataDir,
    daemonJsonPath,
    pidFile,
    logFile,
    get pid() {
      return daemon.pid;
    },
    env,
    docker,
    writeDaemonJson,
    reload: async () => {
      const offset = await daemon.logOffset();
      daemon.signal('SIGHUP');
      const line = await daemon.waitForLog(/Reloaded configuration|Error reconfiguring|unable to configure/, { fromOffset: offset, timeoutMs: 10_000 });
      if (!line.includes('Reloaded configuration')) throw new TestbedError('COMMAND_FAILED', `dockerd did not reload: ${line}`);
    },
    restart: async () => {
      await stopEngine();
      // Its containerd and shims follow it down; whatever is left must not hold the exec root.
      await killProcessesUsingDirectory(join(dataDir, 'exec'));
      daemon = await launch();
      await waitForPing(socketPath, daemon, options.startTimeoutMs ?? 30_000);
    },
    stop,
  };
}

/** The CLI that matches the engine: Debian's /usr/bin/docker (20.10) when present, else whatever is on PATH. */
export function dockerCli(): string {
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

/** The pid of the containerd a testbed dockerd started (from its exec root), if it still has one. */
export function containerdPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'exec', 'containerd', 'containerd.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitForPing(socketPath: string, daemon: Awaited<ReturnType<typeof startProcess>>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!daemon.isRunning()) throw await exitedError(daemon, 'before its socket answered /_ping');
    if (existsSync(socketPath) && (await ping(socketPath))) return;
    if (Date.now() >= deadline) throw new TestbedError('START_TIMEOUT', `dockerd did not answer on ${socketPath} within ${timeoutMs} ms; see ${daemon.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
