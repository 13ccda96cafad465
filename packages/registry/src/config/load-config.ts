// Reads the configuration file (if any) and the process environment, then parses them. The file is
// `options.file` (--config or the argument), else $REGISTRY_CONFIGURATION_PATH (as distribution's CLI reads
// it), else $DOCKER_REGISTRY_CONFIG (as the old Python registry read it), else none: defaults.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isErrnoError } from '@private-registry/core';
import { DEFAULTS_SOURCE } from './config-defaults.js';
import { ConfigError } from './config-errors.js';
import type { RootDirectoryProbe } from './default-root.js';
import { parseConfig } from './parse-config.js';
import type { LoadedConfig } from './registry-config.js';

export interface LoadConfigOptions {
  /** Path of a config.yml (distribution's format, or a flavors file). */
  file?: string;
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where relative paths start; defaults to process.cwd(). */
  cwd?: string;
  /** Decides the default root directory; defaults to this machine. */
  probe?: RootDirectoryProbe;
}

/** Which file is read and what named it, for messages and `config check`. */
export function configFileOf(options: LoadConfigOptions): { file: string; namedBy: string } | undefined {
  const env = options.env ?? process.env;
  if (options.file !== undefined && options.file !== '') return { file: options.file, namedBy: 'the command line' };
  if (env.REGISTRY_CONFIGURATION_PATH) return { file: env.REGISTRY_CONFIGURATION_PATH, namedBy: 'REGISTRY_CONFIGURATION_PATH' };
  // The old registry took a relative DOCKER_REGISTRY_CONFIG from its own config directory; we take the working directory.
  if (env.DOCKER_REGISTRY_CONFIG) return { file: resolve(options.cwd ?? process.cwd(), env.DOCKER_REGISTRY_CONFIG), namedBy: 'DOCKER_REGISTRY_CONFIG' };
  return undefined;
}

/** @throws ConfigError: CONFIG_FILE_UNREADABLE naming the file, CONFIG_UNPARSEABLE, or CONFIG_INVALID naming the key. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const parseOptions = { ...(options.cwd === undefined ? {} : { cwd: options.cwd }), ...(options.probe === undefined ? {} : { probe: options.probe }) };
  const chosen = configFileOf(options);
  if (chosen === undefined) return parseConfig(undefined, env, DEFAULTS_SOURCE, parseOptions);
  const { file } = chosen;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_FILE_UNREADABLE', `cannot read configuration file ${file}: ${reason(err)}`, { source: file, cause: err });
  }
  return parseConfig(text, env, file, parseOptions);
}

function reason(err: unknown): string {
  if (isErrnoError(err, 'ENOENT')) return 'no such file';
  if (isErrnoError(err, 'EACCES')) return 'permission denied';
  if (isErrnoError(err, 'EISDIR')) return 'it is a directory';
  return err instanceof Error ? err.message : String(err);
}
