// Picks the storage driver named by the configuration. The S3 driver (and the AWS SDK under it, about
// 12 MB of resident memory) is imported only when S3 is configured, so a filesystem registry never loads it.
import { resolve } from 'node:path';
import type { StorageConfig } from '../config/registry-config.js';
import { invalidConfig } from '../config/config-errors.js';
import type { StorageDriver } from './storage-driver.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { MemoryDriver } from './memory-driver.js';
import { parseS3Settings } from './s3/s3-settings.js';

export interface CreateDriverOptions {
  /** Receives what the operator should know about the driver's settings (e.g. `v4auth: false` ignored). */
  warn?: (message: string) => void;
}

export interface OpenedStorage {
  driver: StorageDriver;
  /** Where the data lives, for the startup line: root path, or bucket, region, endpoint. Never a credential. */
  location: Record<string, string>;
}

/** @throws ConfigError naming the key (`storage.s3.<key>`) when a driver parameter is invalid. */
export async function openStorage(storage: StorageConfig, options: CreateDriverOptions = {}): Promise<OpenedStorage> {
  switch (storage.driver) {
    case 'filesystem': {
      // The configuration always sets it for this driver, absolute (config/default-root.ts when none was given).
      if (storage.filesystem === undefined) throw invalidConfig('storage.filesystem.rootdirectory', 'is not set');
      const rootDirectory = resolve(storage.filesystem.rootDirectory);
      return { driver: new FilesystemDriver({ rootDirectory }), location: { storage: 'filesystem', root: rootDirectory } };
    }
    case 'inmemory':
      return { driver: new MemoryDriver(), location: { storage: 'inmemory' } };
    case 's3': {
      const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'REGISTRY_CONFIG' }));
      const settings = parseS3Settings(storage.s3 ?? {}, warn);
      // The SDK otherwise prints a multi-line NodeVersionSupportWarning on stderr at every start on
      // Node < 22; its own switch turns that off (an operator who sets the variable keeps their value).
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
      const { S3Driver } = await import('./s3/s3-driver.js');
      const driver = new S3Driver({ settings, redirectDisabled: storage.redirect.disable });
      const location: Record<string, string> = { storage: 's3', bucket: settings.bucket, region: settings.region, endpoint: settings.endpoint ?? 'AWS' };
      if (settings.rootDirectory !== '') location.rootdirectory = settings.rootDirectory;
      return { driver, location };
    }
  }
}

/** The driver alone (tests, tools). */
export async function createStorageDriver(storage: StorageConfig, options: CreateDriverOptions = {}): Promise<StorageDriver> {
  return (await openStorage(storage, options)).driver;
}
