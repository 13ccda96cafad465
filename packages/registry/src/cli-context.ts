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

/** Exit status of an administration command that failed: a usage or input problem, as for the rest of the CLI. */
export const EXIT_USAGE = 2;

/**
 * For maintenance commands whose own failures exit 1 (gc, fsck): opens the store, or says why not in one line
 * `private-registry <command>: <message>` with exit status 2 and returns undefined.
 */
export async function openCliStorageOrExit(command: string, options: ConfigOption): Promise<{ loaded: LoadedConfig; driver: StorageDriver } | undefined> {
  try {
    return await openCliStorage(options);
  } catch (err) {
    process.stderr.write(`private-registry ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_USAGE;
    return undefined;
  }
}

/**
 * Wraps an administration command's action: any error becomes one line `private-registry <command> <sub>:
 * <message>` on stderr and exit status 2.
 */
export function adminAction<A extends unknown[]>(command: string, sub: string, run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      process.stderr.write(`private-registry ${command} ${sub}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT_USAGE;
    }
  };
}
