#!/usr/bin/env node
// The `registry-host-agent` command as npm links it (package.json "bin"): runs the built CLI, dist/src/cli.js.
// Committed rather than built, so `npm ci` can link it before `npm run build` has made dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/src/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (err) {
  // Only the CLI itself missing means "not built"; a module missing inside dist/ is a real fault: rethrown.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || existsSync(fileURLToPath(cli))) throw err;
  process.stderr.write('registry-host-agent is not built yet: run `npm run build`\n');
  process.exit(2);
}
