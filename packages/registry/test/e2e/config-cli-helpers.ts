// What the configuration e2e tests share: the CLI run as an unprivileged user (so the default root
// directory rule picks the XDG path, and a test never writes the real /var/lib/registry), and a
// directory that user may write.
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, startProcess, tempDir, withoutRegistryEnv, type CommandResult, type ManagedProcess } from '@private-registry/testbed';
import { CLI_PATH } from './interop-helpers.js';

/** nobody:nogroup on Debian. */
const NOBODY = 65534;

/** Runs as nobody when this process is root (setpriv), else as this user. */
function asUnprivileged(args: readonly string[]): { command: string; args: string[] } {
  const node = [process.execPath, CLI_PATH, ...args];
  if (process.getuid?.() !== 0) return { command: node[0] as string, args: node.slice(1) };
  return { command: 'setpriv', args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...node] };
}

/** A fresh temp directory anyone may write (for the unprivileged user's cwd and XDG_DATA_HOME). */
export async function sharedDir(prefix: string): Promise<string> {
  const dir = (await tempDir(prefix)).path;
  await chmod(dir, 0o777);
  return dir;
}

/** `private-registry ARGS` as an unprivileged user, long-running; its output in `<cwd>/registry.log`. */
export async function spawnCliUnprivileged(args: readonly string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<ManagedProcess> {
  const { command, args: argv } = asUnprivileged(args);
  return startProcess({ command, args: argv, logFile: join(options.cwd, 'registry.log'), env: withoutRegistryEnv(options.env), cwd: options.cwd, name: 'private-registry' });
}

/** `private-registry ARGS` as an unprivileged user, to completion. */
export function runCliUnprivileged(args: readonly string[], options: { cwd: string; env: Record<string, string | undefined> }): Promise<CommandResult> {
  const { command, args: argv } = asUnprivileged(args);
  return runCommand(command, argv, { env: withoutRegistryEnv(options.env), cwd: options.cwd, timeoutMs: 30_000 });
}
