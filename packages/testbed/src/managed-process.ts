// A long-running child (a registry, a daemon) with stdout and stderr appended to one log file, in its own
// process group so stop() takes its helpers along, and registered for cleanup so a failed test leaks nothing.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { pidsInGroup, waitForPidsToExit } from './process-table.js';
import { logSize, logTail, readLogText, waitForLogLine, type LogWaitOptions } from './log-file.js';
import { TestbedError } from './testbed-error.js';

export interface StartProcessOptions {
  command: string;
  args: readonly string[];
  /** Where stdout and stderr go (appended). */
  logFile: string;
  /** Added to (or, with `undefined`, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** For messages; the command's base name unless told. */
  name?: string;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StopOptions {
  /** SIGTERM unless told. */
  signal?: NodeJS.Signals;
  /** How long to wait before SIGKILL; 10 s unless told. */
  graceMs?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process has exited (for whatever reason). */
  readonly exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** Sends a signal to the process alone (SIGHUP for a reload). */
  signal(signal: NodeJS.Signals): void;
  /** Signals the whole process group, waits, then SIGKILLs it; resolves once the process is gone. */
  stop(options?: StopOptions): Promise<ProcessExit>;
  readLog(): Promise<string>;
  /** The log's current size: pass it as `fromOffset` to wait only for what comes next. */
  logOffset(): Promise<number>;
  waitForLog(pattern: string | RegExp, options?: LogWaitOptions): Promise<string>;
}

export async function startProcess(options: StartProcessOptions): Promise<ManagedProcess> {
  const name = options.name ?? basename(options.command);
  const fd = openSync(options.logFile, 'a');
  const child = (() => {
    try {
      return spawn(options.command, [...options.args], {
        // detached = setsid: the child leads a new process group, which stop() signals as a whole.
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...options.env },
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
    } finally {
      closeSync(fd);
    }
  })();

  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) =>
      reject(new TestbedError('COMMAND_MISSING', `cannot start ${options.command}: ${err.message} (run scripts/install-test-deps.sh)`, { cause: err })),
    );
  });
  if (child.pid === undefined) throw new TestbedError('PROCESS_EXITED', `${name} has no pid after spawn`);
  const pid: number = child.pid;

  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  };
  const unregister = registerCleanup({
    name: `${name} pid ${pid}`,
    stop: async () => {
      await stop();
    },
    stopSync: () => killGroup('SIGKILL'),
  });
  void exited.then(unregister);

  let stopping: Promise<ProcessExit> | undefined;
  function stop(stopOptions: StopOptions = {}): Promise<ProcessExit> {
    stopping ??= (async () => {
      if (exit === undefined) {
        killGroup(stopOptions.signal ?? 'SIGTERM');
        const graceMs = stopOptions.graceMs ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), graceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) killGroup('SIGKILL');
      }
      const result = await exited;
      // Helpers that ignored the first signal and outlived their leader.
      const stragglers = pidsInGroup(pid);
      if (stragglers.length > 0) {
        killGroup('SIGKILL');
        await waitForPidsToExit(stragglers, 5_000);
      }
      unregister();
      return result;
    })();
    return stopping;
  }

  return {
    name,
    pid,
    logFile: options.logFile,
    exited,
    isRunning: () => exit === undefined,
    signal: (signal) => {
      if (exit === undefined) process.kill(pid, signal);
    },
    stop,
    readLog: () => readLogText(options.logFile),
    logOffset: () => logSize(options.logFile),
    waitForLog: (pattern, waitOptions) => waitForLogLine(options.logFile, pattern, waitOptions),
  };
}

/** An error saying that `process` ended while we waited for it, with the end of its log. */
export async function exitedError(process: ManagedProcess, what: string): Promise<TestbedError> {
  const result = await process.exited;
  return new TestbedError(
    'PROCESS_EXITED',
    `${process.name} exited (code ${String(result.code)}, signal ${String(result.signal)}) ${what}; ${process.logFile} ends:\n${await logTail(process.logFile)}`,
  );
}
