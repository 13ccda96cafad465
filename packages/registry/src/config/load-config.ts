// Reads the configuration file (if any) and the process environment, then parses them. The file is
// `options.file`, else $REGISTRY_CONFIGURATION_PATH (as distribution's CLI reads it), else none: defaults.
import { readFile } from 'node:fs/promises';
import { isErrnoError } from '@private-registry/core';
import { DEFAULTS_SOURCE } from './config-defaults.js';
import { ConfigError } from './config-errors.js';
import { parseConfig } from './parse-config.js';
import type { LoadedConfig } from './registry-config.js';

export interface LoadConfigOptions {
  /** Path of a distribution-format config.yml. */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** @throws ConfigError: CONFIG_FILE_UNREADABLE naming the file, or CONFIG_INVALID naming the key. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const file = options.file ?? (env.REGISTRY_CONFIGURATION_PATH || undefined);
  if (file === undefined) return parseConfig(undefined, env, DEFAULTS_SOURCE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `cannot read configuration file ${file}: ${reason(err)}`, { source: file, cause: err });
  }
  return parseConfig(text, env, file);
}

function reason(err: unknown): string {
  if (isErrnoError(err, 'ENOENT')) return 'no such file';
  if (isErrnoError(err, 'EACCES')) return 'permission denied';
  if (isErrnoError(err, 'EISDIR')) return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}
