// The help pages of this repository's built CLIs, by the program names the image puts on PATH, so unit
// files can be checked against the flags the commands really define.

import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ourCliPath, type OurCli } from '@private-registry/testbed';
import { parseCommanderHelp, type CliHelp } from './cli-help.js';

const run = promisify(execFile);

/** The program names on the image's PATH (fleet/Dockerfile) and the package each comes from. */
export const OUR_PROGRAMS: Readonly<Record<string, OurCli>> = {
  'private-registry': 'registry',
  'registry-sidekick': 'sidekick',
  'registry-host-agent': 'host-agent',
};

export type HelpLookup = { help: CliHelp } | { missing: string };

/** `node packages/<cli>/dist/src/cli.js <subcommand> --help`, parsed; `missing` when the CLI is not built. */
export async function ourCliHelp(program: string, subcommand: string): Promise<HelpLookup> {
  const cli = OUR_PROGRAMS[program];
  if (cli === undefined) throw new Error(`${program} is not one of this repository's commands`);
  const path = ourCliPath(cli);
  if (!existsSync(path)) return { missing: `${path} does not exist (npm run build)` };
  const { stdout } = await run(process.execPath, [path, subcommand, '--help'], { timeout: 30_000, env: { ...process.env, COLUMNS: '100' } });
  const help = parseCommanderHelp(stdout);
  if (!help.usage.includes(` ${subcommand} `) && !help.usage.endsWith(` ${subcommand}`)) {
    throw new Error(`${program} has no "${subcommand}" command: its help says "Usage: ${help.usage}"`);
  }
  return { help };
}
