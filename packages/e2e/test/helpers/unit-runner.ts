// Runs a unit's Exec lines the way systemd would, without systemd: ExecStartPre in order (a failure fails
// the start unless the line has the "-" prefix), ExecStart as the long-running main process, then
// ExecStartPost in order (start() returns once they have: what `After=` waits for), ExecStop to stop it. Variables come from the unit's Environment= plus what a drop-in or /etc/environment would add.

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runCommand, startProcess, type CommandResult, type ManagedProcess, type ProcessExit } from '@private-registry/testbed';
import { expandCommand, parseExecLine } from './exec-command.js';
import type { UnitFile } from './unit-file.js';

export interface UnitRunnerOptions {
  /** Environment= values as a drop-in (or EnvironmentFile=) would set them; they win over the unit's own. */
  env?: Readonly<Record<string, string>>;
  /** Read at every start, after Environment= (so its values win), in order, as systemd reads EnvironmentFile=; a missing one is skipped (the `-` prefix). */
  environmentFile?: string;
  environmentFiles?: string[];
  /** The environment the commands run with (DOCKER_HOST of a test dockerd). */
  processEnv?: Readonly<Record<string, string | undefined>>;
  /** Where the main process's output goes. */
  logDir: string;
  /**
   * A directory standing for the host's `/`: the host side of every `docker run -v` bind mount is taken
   * under it, so a unit that mounts the host's /etc writes a test directory instead. Nothing else changes.
   */
  hostRoot?: string;
}

export interface RunningUnit {
  readonly main: ManagedProcess;
  /** Runs ExecStop and waits for the main process to exit. */
  stop(timeoutMs?: number): Promise<{ stop: CommandResult[]; exit: ProcessExit }>;
}

export class UnitRunner {
  private env: Record<string, string>;
  private runs = 0;

  constructor(
    readonly unit: UnitFile,
    private readonly options: UnitRunnerOptions,
  ) {
    this.env = { ...Object.fromEntries(unit.environment()), ...options.env };
  }

  /** The argv systemd would run for each value of `key`. */
  argv(key: string): string[][] {
    return this.unit.all('Service', key).map((line) => this.expand(line));
  }

  async start(): Promise<RunningUnit> {
    const files = [...(this.options.environmentFile === undefined ? [] : [this.options.environmentFile]), ...(this.options.environmentFiles ?? [])];
    if (files.length > 0) {
      this.env = { ...Object.fromEntries(this.unit.environment()), ...this.options.env, ...Object.assign({}, ...files.filter((f) => existsSync(f)).map(readEnvironmentFile)) };
    }
    await this.runAll('ExecStartPre');
    const [program = '', ...args] = this.argv('ExecStart')[0] ?? [];
    this.runs++;
    const main = await startProcess({
      name: this.unit.name,
      command: program,
      args,
      logFile: join(this.options.logDir, `${this.unit.name}.${this.runs}.log`),
      env: this.processEnv(),
    });
    await this.runAll('ExecStartPost');
    return {
      main,
      stop: async (timeoutMs = 60_000) => {
        const stop: CommandResult[] = [];
        for (const [stopProgram = '', ...stopArgs] of this.argv('ExecStop')) {
          stop.push(await runCommand(stopProgram, stopArgs, { env: this.processEnv(), timeoutMs }));
        }
        const exit = await Promise.race([
          main.exited,
          new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`${this.unit.name}: main process still running after ExecStop`)), timeoutMs).unref()),
        ]);
        return { stop, exit };
      },
    };
  }

  /** Runs each `key` line in order; a failure throws unless the line has the "-" prefix. */
  private async runAll(key: 'ExecStartPre' | 'ExecStartPost'): Promise<void> {
    for (const line of this.unit.all('Service', key)) {
      const command = parseExecLine(line);
      const [program = '', ...args] = this.expand(line);
      const result = await runCommand(program, args, { env: this.processEnv(), timeoutMs: 60_000 });
      if (result.exitCode !== 0 && !command.ignoreFailure) {
        throw new Error(`${this.unit.name}: ${key}=${line} exited ${result.exitCode}: ${result.stderr}`);
      }
    }
  }

  /** What systemd gives the unit's processes: its Environment= and EnvironmentFile= values (the test's own on top). */
  private processEnv(): Record<string, string | undefined> {
    return { ...this.env, ...this.options.processEnv };
  }

  private expand(line: string): string[] {
    const specifiers = { m: machineId(), H: hostname(), n: this.unit.name };
    const argv = expandCommand(parseExecLine(line), { env: this.env, specifiers });
    const root = this.options.hostRoot;
    if (root === undefined || argv[1] !== 'run') return argv;
    return argv.map((word, i) => {
      const flag = argv[i - 1];
      if ((flag !== '-v' && flag !== '--volume') || !word.startsWith('/') || word.startsWith(`${root}/`)) return word;
      return join(root, word);
    });
  }
}

/** KEY=VALUE lines (systemd.exec EnvironmentFile=): comments and blank lines skipped, one level of quotes removed. */
export function readEnvironmentFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    env[match[1] ?? ''] = (match[2] ?? '').trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return env;
}

function machineId(): string {
  try {
    return readFileSync('/etc/machine-id', 'utf8').trim();
  } catch {
    return '0'.repeat(32);
  }
}
