// The configuration module's public face: load and parse distribution-format config, the typed result.
export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { parseConfig } from './parse-config.js';
export { ConfigError, type ConfigErrorCode } from './config-errors.js';
export { redactConfig, REDACTED } from './config-secrets.js';
export { parseGoDuration } from './go-duration.js';
export { SUPPORTED_DRIVERS, type StorageDriverName } from './config-keys.js';
export * as configDefaults from './config-defaults.js';
export type {
  DebugConfig,
  HttpConfig,
  ListenAddress,
  LoadedConfig,
  LogConfig,
  LogFormatter,
  LogLevel,
  RegistryConfig,
  StorageConfig,
  TlsClientAuth,
  TlsConfig,
  UploadPurgingConfig,
} from './registry-config.js';
