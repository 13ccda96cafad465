// Runs a command to completion and hands back what it printed and how it ended, never throwing on a
// non-zero exit: tests assert on exit codes of real clients (skopeo, podman, docker) as often as on output.

import { execa } from 'execa';
import { TestbedError } from './testbed-error.js';

export interface CommandResult {
  readonly command: string;
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code; -1 when the command could not start, was killed by a signal or timed out. */
  readonly exitCode: number;
}

export interface RunCommandOptions {
  /** Added to (or, with `undefined`, removed from) the inherited environment. */
  env?: Record<string, string | undefined>;
  input?: string | Uint8Array;
  cwd?: string;
  /** Kill the command after this long; 120 s unless told. */
  timeoutMs?: number;
}

export async function runCommand(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const result = await execa(file, [...args], {
    reject: false,
    env: options.env,
    extendEnv: true,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    timeout: options.timeoutMs ?? 120_000,
  });
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : -1;
  const started = result.exitCode !== undefined || result.signal !== undefined || result.timedOut;
  return {
    command: [file, ...args].join(' '),
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    // A command that never started has no stderr: the spawn error (ENOENT, ...) says why instead.
    stderr: typeof result.stderr === 'string' && (result.stderr !== '' || started) ? result.stderr : result.shortMessage ?? '',
    exitCode: result.timedOut ? -1 : exitCode,
  };
}

/** Returns the result when the command exited 0, else throws with its stderr in the message. */
export function assertSucceeded(result: CommandResult): CommandResult {
  if (result.exitCode !== 0) {
    throw new TestbedError(
      'COMMAND_FAILED',
      `\`${result.command}\` exited ${result.exitCode}\n--- stderr ---\n${result.stderr}\n--- stdout ---\n${result.stdout}`,
    );
  }
  return result;
}

/** runCommand + assertSucceeded, for setup steps that must not fail. */
export async function runChecked(file: string, args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  return assertSucceeded(await runCommand(file, args, options));
}
