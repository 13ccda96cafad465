// The environment of a user's shell, for running commands in another checkout: what npm, npx and mocha put
// into this test process's environment is taken out, so nothing leads back to the checkout running the test.

import { delimiter } from 'node:path';

/**
 * Overrides for runCommand/startProcess (which extend process.env; `undefined` removes a variable):
 * npm's npm_* variables (npm_config_local_prefix would point npx at this checkout), INIT_CWD,
 * NODE_OPTIONS, REGISTRY_* configuration, and every node_modules/.bin directory on PATH
 * (npm run and npx add this checkout's).
 */
export function userShellEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const key of Object.keys(process.env)) {
    if (/^npm_/i.test(key) || key.startsWith('REGISTRY_') || key === 'INIT_CWD' || key === 'NODE_OPTIONS') env[key] = undefined;
  }
  const path = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(delimiter)
    .filter((dir) => dir !== '' && !/[/\\]node_modules[/\\]\.bin$/.test(dir));
  env.PATH = path.join(delimiter);
  // Never let npx fetch a package from the registry when a command is not linked: fail instead.
  env.npm_config_yes = 'false';
  return { ...env, ...extra };
}
