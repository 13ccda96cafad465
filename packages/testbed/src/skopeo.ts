// skopeo against our registries with a private policy.json (passed by --policy), registries.conf and auth
// file, so a test never reads or writes the machine's containers configuration or credentials.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type CommandResult, type RunCommandOptions } from './command.js';
import { ACCEPT_ANYTHING_POLICY, EMPTY_REGISTRIES_CONF } from './containers-policy.js';
import { tempDir } from './temp-dir.js';

interface SkopeoFiles {
  policyPath: string;
  registriesConfPath: string;
  authFile: string;
}

let files: Promise<SkopeoFiles> | undefined;

/** Runs `skopeo --policy POLICY ARGS...`; pass `--tls-verify=false` (or --src-/--dest-) for http registries. */
export async function skopeo(args: readonly string[], options: RunCommandOptions = {}): Promise<CommandResult> {
  const { policyPath, registriesConfPath, authFile } = await skopeoFiles();
  return runCommand('skopeo', ['--policy', policyPath, ...args], {
    ...options,
    env: {
      CONTAINERS_REGISTRIES_CONF: registriesConfPath,
      REGISTRY_AUTH_FILE: authFile,
      ...options.env,
    },
  });
}

async function skopeoFiles(): Promise<SkopeoFiles> {
  // The files live in a temp dir that cleanupTestbed removes: make them again when that happened.
  const current = files === undefined ? undefined : await files;
  if (current !== undefined && existsSync(current.policyPath)) return current;
  files = (async () => {
    const dir = await tempDir('skopeo');
    const made: SkopeoFiles = {
      policyPath: join(dir.path, 'policy.json'),
      registriesConfPath: join(dir.path, 'registries.conf'),
      authFile: join(dir.path, 'auth.json'),
    };
    await writeFile(made.policyPath, JSON.stringify(ACCEPT_ANYTHING_POLICY));
    await writeFile(made.registriesConfPath, EMPTY_REGISTRIES_CONF);
    await writeFile(made.authFile, '{}\n', { mode: 0o600 });
    return made;
  })();
  return files;
}
