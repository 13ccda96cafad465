// Typed configuration errors: every problem that stops startup names the dotted key and, when an
// environment variable supplied the value, that variable; never a secret's value.
import { CodedError } from '@private-registry/core';

export type ConfigErrorCode =
  /** A value, key or YAML document that cannot be used. */
  | 'CONFIG_INVALID'
  /** The configuration file named by the operator cannot be read (missing, unreadable). */
  | 'CONFIG_FILE_UNREADABLE'
  /** The configuration file is not YAML (syntax error, recursive aliases). */
  | 'CONFIG_UNPARSEABLE';

export interface ConfigErrorDetails {
  /** Dotted key path, e.g. "storage.maintenance.uploadpurging.age"; absent for whole-document problems. */
  key?: string;
  /** The file path, or "defaults" when no file was read. */
  source?: string;
  /** The REGISTRY_* variable(s) that set the offending value or part of it, comma-separated, if any did. */
  envVar?: string;
  cause?: unknown;
}

export class ConfigError extends CodedError {
  declare readonly code: ConfigErrorCode;
  readonly key: string | undefined;
  readonly source: string | undefined;
  readonly envVar: string | undefined;

  constructor(code: ConfigErrorCode, message: string, details: ConfigErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.key = details.key;
    this.source = details.source;
    this.envVar = details.envVar;
  }
}

/** The one message shape: `invalid configuration: <key>: <problem> (set by REGISTRY_...)`. */
export function invalidConfig(key: string, problem: string, details: Omit<ConfigErrorDetails, 'key'> = {}): ConfigError {
  const where = key === '' ? '' : `${key}: `;
  const by = details.envVar === undefined ? '' : ` (set by ${details.envVar})`;
  return new ConfigError('CONFIG_INVALID', `invalid configuration: ${where}${problem}${by}`, { ...details, key: key === '' ? undefined : key });
}
