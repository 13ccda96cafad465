// What the administration commands (user, token, keys) share with `serve`: the same configuration rules
// (--config FILE, else $REGISTRY_CONFIGURATION_PATH, else $DOCKER_REGISTRY_CONFIG) and the same store.
import { loadConfig, type LoadConfigOptions } from './config/index.js';
import type { LoadedConfig } from './config/registry-config.js';
import { openStorage } from './storage/create-driver.js';
import type { StorageDriver } from './storage/storage-driver.js';

export interface ConfigOption {
  config?: string;
}

export function loadOptionsOf(configArg: string | undefined, options: ConfigOption): LoadConfigOptions {
  const file = options.config ?? configArg;
  return file === undefined ? { env: process.env } : { file, env: process.env };
}

/** Loads the configuration `serve` would run with. */
export function loadCliConfig(options: ConfigOption): Promise<LoadedConfig> {
  return loadConfig(loadOptionsOf(undefined, options));
}

/** Loads the configuration and opens its store (warnings go to stderr). */
export async function openCliStorage(options: ConfigOption): Promise<{ loaded: LoadedConfig; driver: StorageDriver }> {
  const loaded = await loadCliConfig(options);
  const { driver } = await openStorage(loaded.config.storage, { warn: (message) => process.stderr.write(`warning: ${message}\n`) });
  return { loaded, driver };
}
