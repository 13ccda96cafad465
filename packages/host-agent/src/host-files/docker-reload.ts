// Makes dockerd re-read daemon.json after the docker writer changed it: SIGHUP to its pid (what
// `systemctl reload docker` does too), or a restart for engines that cannot reload mirrors.

import { readFile } from 'node:fs/promises';
import { CodedError, isErrnoError } from '@private-registry/core';
import { HostRoot } from './host-root.js';

export type DockerReloadMode = 'signal' | 'systemctl' | 'restart' | 'none';

export const DOCKER_RELOAD_MODES: readonly DockerReloadMode[] = ['signal', 'systemctl', 'restart', 'none'];

export const DEFAULT_DOCKER_PIDFILE = '/var/run/docker.pid';

export type DockerReloadErrorCode =
  | 'PIDFILE_MISSING'
  | 'PIDFILE_INVALID'
  /** The pidfile names a process that no longer exists (dockerd is not running). */
  | 'PROCESS_GONE'
  /** The signal could not be sent (EPERM: not ours to signal). */
  | 'SIGNAL_FAILED'
  /** systemctl could not be run, or exited non-zero. */
  | 'COMMAND_FAILED';

export class DockerReloadError extends CodedError {
  declare readonly code: DockerReloadErrorCode;

  constructor(code: DockerReloadErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface DockerReloadOptions {
  /** Roots the pidfile (and nothing else: systemctl acts on the real host). `/` unless told. */
  root?: HostRoot | string;
  /** Host path of dockerd's pidfile; DEFAULT_DOCKER_PIDFILE unless told. */
  pidFile?: string;
  /** The systemd unit; `docker` unless told. */
  unit?: string;
  /** The systemctl program; `systemctl` unless told. */
  systemctl?: string;
  /** How long systemctl may take; 90 s unless told (a restart waits for containers to stop). */
  timeoutMs?: number;
}

/**
 * Asks dockerd to re-read its configuration. Resolves once the signal is sent or systemctl returned: dockerd
 * reports a reload that failed (a bad daemon.json) only in its log.
 */
export async function reloadDocker(mode: DockerReloadMode, options: DockerReloadOptions = {}): Promise<void> {
  switch (mode) {
    case 'none':
      return;
    case 'signal':
      return signalDockerd(options);
    case 'systemctl':
      return runSystemctl('reload', options);
    case 'restart':
      return runSystemctl('restart', options);
  }
}

async function signalDockerd(options: DockerReloadOptions): Promise<void> {
  const root = options.root instanceof HostRoot ? options.root : new HostRoot(options.root);
  const pidFile = root.path(options.pidFile ?? DEFAULT_DOCKER_PIDFILE);
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) throw new DockerReloadError('PIDFILE_MISSING', `no dockerd pidfile at ${pidFile}: is dockerd running?`, { cause: err });
    throw err;
  }
  const pid = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(pid) || pid <= 1) {
    throw new DockerReloadError('PIDFILE_INVALID', `${pidFile} does not hold a process id: "${text.trim().slice(0, 40)}"`);
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    if (isErrnoError(err, 'ESRCH')) throw new DockerReloadError('PROCESS_GONE', `dockerd pid ${pid} (from ${pidFile}) is not running`, { cause: err });
    throw new DockerReloadError('SIGNAL_FAILED', `could not send SIGHUP to dockerd pid ${pid}: ${(err as Error).message}`, { cause: err });
  }
}

async function runSystemctl(verb: 'reload' | 'restart', options: DockerReloadOptions): Promise<void> {
  const program = options.systemctl ?? 'systemctl';
  const args = [verb, options.unit ?? 'docker'];
  // Imported here, not at the top: execa costs the agent about 10 MB of memory on every host, and only this
  // mode needs it.
  const { execa } = await import('execa');
  const result = await execa(program, args, { reject: false, stdin: 'ignore', timeout: options.timeoutMs ?? 90_000 });
  if (result.failed) {
    const why = result.timedOut ? 'timed out' : result.exitCode === undefined ? result.shortMessage : `exited ${result.exitCode}`;
    const stderr = typeof result.stderr === 'string' ? result.stderr.trim() : '';
    throw new DockerReloadError('COMMAND_FAILED', `\`${program} ${args.join(' ')}\` ${why}${stderr === '' ? '' : `: ${stderr}`}`, { cause: result });
  }
}
