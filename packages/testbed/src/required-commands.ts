// Which of the external programs a suite needs are on PATH, so it fails with one clear line naming the
// install script instead of a spawn ENOENT deep inside a helper.

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TestbedError } from './testbed-error.js';

/** The full path of `command` on PATH (or `command` itself when it is a path that is executable). */
export function findCommand(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [command]
    : (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin').split(delimiter).map((dir) => join(dir, command));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function missingCommands(commands: readonly string[]): string[] {
  return commands.filter((command) => findCommand(command) === undefined);
}

/** Throws COMMAND_MISSING naming every missing command. */
export function requireCommands(commands: readonly string[]): void {
  const missing = missingCommands(commands);
  if (missing.length > 0) {
    throw new TestbedError('COMMAND_MISSING', `missing ${missing.join(', ')}: run scripts/install-test-deps.sh as root`);
  }
}
