// The configuration module's public face: load and parse distribution-format config, the typed result.
export { configFileOf, loadConfig, type LoadConfigOptions } from './load-config.js';
export { parseConfig, type ParseOptions } from './parse-config.js';
export { effectiveConfigYaml } from './effective-config.js';
export { resolveDefaultRootDirectory, systemProbe, SYSTEM_ROOT_DIRECTORY, type RootDirectoryProbe } from './default-root.js';
export { flavorFromEnv, mergeFlavor } from './flavors.js';
export { mapLegacyKeys } from './legacy-keys.js';
export { ConfigError, invalidConfig, type ConfigErrorCode } from './config-errors.js';
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
  MailConfig,
  RegistryConfig,
  StorageConfig,
  TlsClientAuth,
  TlsConfig,
  UploadPurgingConfig,
} from './registry-config.js';
