// Where the built CLIs of this monorepo live (`npm run build` makes them), for tests that run them as processes.

import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export type OurCli = 'registry' | 'sidekick' | 'host-agent';

/** packages/<cli>/dist/src/cli.js, found from this file's place under packages/testbed (src or dist/src). */
export function ourCliPath(cli: OurCli): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const marker = `${sep}packages${sep}testbed${sep}`;
  const packagesDir = here.slice(0, here.lastIndexOf(marker) + `${sep}packages`.length);
  return join(packagesDir, cli, 'dist', 'src', 'cli.js');
}
