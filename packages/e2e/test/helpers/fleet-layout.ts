// Where the deployment files live (fleet/ at the repository root) and how a unit's container is read from
// them: the unit files parsed, the `docker run` of a unit's ExecStart, and the image's CMD from the Dockerfile.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDockerRun, type DockerRun } from './docker-run.js';
import { parseExecLine, type ExecCommand } from './exec-command.js';
import { parseUnitFile, type UnitFile } from './unit-file.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const FLEET_DIR = join(REPO_ROOT, 'fleet');
export const SYSTEMD_DIR = join(FLEET_DIR, 'systemd');
export const EXAMPLES_DIR = join(FLEET_DIR, 'examples');
export const DOCKERFILE = join(FLEET_DIR, 'Dockerfile');
export const DOCKER = '/usr/bin/docker';

/** The unit files directly in `dir` (not in subdirectories), parsed, sorted by name. */
export function loadUnits(dir: string): UnitFile[] {
  return readdirSync(dir)
    .filter((name) => /\.(service|socket|timer|target|path|mount)$/.test(name) && statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => parseUnitFile(readFileSync(join(dir, name), 'utf8'), name));
}

export function loadUnit(dir: string, name: string): UnitFile {
  return parseUnitFile(readFileSync(join(dir, name), 'utf8'), name);
}

/** Every Exec*= line of the unit, parsed, with its key. */
export function execLines(unit: UnitFile): { key: string; command: ExecCommand }[] {
  const keys = ['ExecStartPre', 'ExecStart', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost', 'ExecCondition'];
  return keys.flatMap((key) => unit.all('Service', key).map((line) => ({ key, command: parseExecLine(line) })));
}

/** The single ExecStart= of the unit. */
export function execStart(unit: UnitFile): ExecCommand {
  const lines = unit.all('Service', 'ExecStart');
  if (lines.length !== 1) throw new Error(`${unit.name} has ${lines.length} ExecStart= lines, expected 1`);
  return parseExecLine(lines[0] ?? '');
}

/** `docker <subcommand> ...` → the words after the subcommand, or undefined for another program. */
export function dockerSubcommand(command: ExecCommand, subcommand: string): readonly string[] | undefined {
  return command.program === DOCKER && command.args[0] === subcommand ? command.args.slice(1) : undefined;
}

/** The container a unit runs: its ExecStart must be `/usr/bin/docker run ...`. */
export function unitContainer(unit: UnitFile): DockerRun {
  const args = dockerSubcommand(execStart(unit), 'run');
  if (args === undefined) throw new Error(`${unit.name}: ExecStart is not ${DOCKER} run`);
  return parseDockerRun(args);
}

/** The image's default command: the last exec-form CMD in the Dockerfile (that of the final stage). */
export function dockerfileCmd(path = DOCKERFILE): string[] {
  const cmds = [...readFileSync(path, 'utf8').matchAll(/^CMD\s+(\[.*\])\s*$/gm)];
  const last = cmds.at(-1)?.[1];
  if (last === undefined) throw new Error(`${path} has no exec-form CMD`);
  return JSON.parse(last) as string[];
}
