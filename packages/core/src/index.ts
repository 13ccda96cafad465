export { CodedError, isErrnoError } from './coded-error.js';
export { createLogger, normalizeLevel, LOG_FORMATS, type Logger, type LoggerOptions, type LogFormat } from './logger.js';
export { textLogLine } from './text-log-line.js';
export { Backoff, sleep, type BackoffOptions } from './backoff.js';
export { DEFAULT_DISCOVERY_PREFIX, normalizePrefix, isRegistryId, registryKey, idFromKey } from './discovery/registry-key.js';
export {
  parseRegistryRecord,
  serializeRegistryRecord,
  registryAddress,
  registryUrl,
  type RegistryRecord,
  type RegistryScheme,
} from './discovery/registry-record.js';
