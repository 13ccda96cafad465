// podman with everything it reads or writes inside one directory: storage (vfs), run root, tmp, config,
// registries.conf (+ a registries.conf.d for mirror drop-ins), policy and auth, so tests never touch the
// machine's podman state. Rootful, daemonless; `run` uses runc with TESTBED.md's ulimits and no network
// namespace by default (`--network host` also works; bridge networks are not set up).

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { runCommand, type CommandResult, type RunCommandOptions } from './command.js';
import { ACCEPT_ANYTHING_POLICY, EMPTY_REGISTRIES_CONF } from './containers-policy.js';
import { unmountUnder } from './mounts.js';
import { killProcessesUsingDirectory, killProcessesUsingDirectorySync } from './process-table.js';

export interface PodmanEnv {
  readonly dir: string;
  /** The variables that point podman (or any containers/image client) at this directory's files. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly containersConfPath: string;
  readonly storageConfPath: string;
  /** The main registries.conf (CONTAINERS_REGISTRIES_CONF). */
  readonly registriesConfPath: string;
  /** Drop-ins read after registries.conf ($HOME/.config/containers/registries.conf.d). */
  readonly registriesConfDir: string;
  readonly authFile: string;
}

export interface PodmanOptions extends RunCommandOptions {
  /** The directory given to podmanEnv (made on first use). */
  root: string;
}

const environments = new Map<string, Promise<PodmanEnv>>();

/** Prepares (once per directory) an isolated podman environment inside `dir`. */
export function podmanEnv(dir: string): Promise<PodmanEnv> {
  let prepared = environments.get(dir);
  if (prepared === undefined) {
    prepared = preparePodmanEnv(dir);
    environments.set(dir, prepared);
    prepared.catch(() => environments.delete(dir));
  }
  return prepared;
}

/** Runs `podman ARGS...` in the environment rooted at `options.root`. */
export async function podman(args: readonly string[], options: PodmanOptions): Promise<CommandResult> {
  const { root, ...runOptions } = options;
  const environment = await podmanEnv(root);
  return runCommand('podman', args, { ...runOptions, env: { ...environment.env, ...runOptions.env } });
}

async function preparePodmanEnv(dir: string): Promise<PodmanEnv> {
  const home = join(dir, 'home');
  const userConfig = join(home, '.config', 'containers');
  const registriesConfDir = join(userConfig, 'registries.conf.d');
  const paths = {
    containersConfPath: join(dir, 'containers.conf'),
    storageConfPath: join(dir, 'storage.conf'),
    registriesConfPath: join(dir, 'registries.conf'),
    authFile: join(dir, 'auth.json'),
  };
  for (const sub of ['storage', 'runroot', 'tmp', 'volumes', 'cni-plugins', 'networks']) await mkdir(join(dir, sub), { recursive: true });
  await mkdir(registriesConfDir, { recursive: true });
  await writeFile(paths.containersConfPath, containersConf(dir));
  await writeFile(paths.storageConfPath, `[storage]\ndriver = "vfs"\ngraphroot = ${toml(join(dir, 'storage'))}\nrunroot = ${toml(join(dir, 'runroot'))}\n`);
  await writeFile(paths.registriesConfPath, EMPTY_REGISTRIES_CONF);
  // Root podman reads $HOME/.config/containers/policy.json before /etc/containers/policy.json.
  await writeFile(join(userConfig, 'policy.json'), JSON.stringify(ACCEPT_ANYTHING_POLICY));
  // podman 4.3 refuses a REGISTRY_AUTH_FILE that does not exist.
  await writeFile(paths.authFile, '{}\n', { mode: 0o600 });

  registerCleanup({
    name: `podman environment ${dir}`,
    stop: async () => {
      environments.delete(dir);
      await killProcessesUsingDirectory(dir);
      unmountUnder(dir);
    },
    stopSync: () => {
      killProcessesUsingDirectorySync(dir);
      unmountUnder(dir);
    },
  });

  return {
    dir,
    ...paths,
    registriesConfDir,
    env: {
      HOME: home,
      CONTAINERS_CONF: paths.containersConfPath,
      CONTAINERS_STORAGE_CONF: paths.storageConfPath,
      CONTAINERS_REGISTRIES_CONF: paths.registriesConfPath,
      REGISTRY_AUTH_FILE: paths.authFile,
      XDG_CONFIG_HOME: undefined,
      XDG_RUNTIME_DIR: undefined,
    },
  };
}

function containersConf(dir: string): string {
  return [
    '[containers]',
    // TESTBED.md: podman run fails here without these.
    'default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]',
    'netns = "none"',
    '',
    '[engine]',
    'runtime = "runc"',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = ${toml(join(dir, 'events.log'))}`,
    `tmp_dir = ${toml(join(dir, 'tmp'))}`,
    `static_dir = ${toml(join(dir, 'storage', 'libpod'))}`,
    `volume_path = ${toml(join(dir, 'volumes'))}`,
    `image_copy_tmp_dir = ${toml(join(dir, 'tmp'))}`,
    '',
    '[network]',
    // Fixed so every machine behaves alike, with or without netavark or CNI plugins installed.
    'network_backend = "cni"',
    `cni_plugin_dirs = [${toml(join(dir, 'cni-plugins'))}]`,
    `network_config_dir = ${toml(join(dir, 'networks'))}`,
    '',
  ].join('\n');
}

function toml(value: string): string {
  return JSON.stringify(value);
}
