// Picks the storage driver named by the configuration.
import { resolve } from 'node:path';
import type { StorageConfig } from '../config/registry-config.js';
import type { StorageDriver } from './storage-driver.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { MemoryDriver } from './memory-driver.js';
import { S3Driver } from './s3/s3-driver.js';
import { parseS3Settings } from './s3/s3-settings.js';

export interface CreateDriverOptions {
  /** Receives what the operator should know about the driver's settings (e.g. `v4auth: false` ignored). */
  warn?: (message: string) => void;
}

/** @throws ConfigError naming the key (`storage.s3.<key>`) when a driver parameter is invalid. */
export function createStorageDriver(storage: StorageConfig, options: CreateDriverOptions = {}): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return new FilesystemDriver({ rootDirectory: resolve(storage.filesystem?.rootDirectory ?? './data') });
    case 'inmemory':
      return new MemoryDriver();
    case 's3': {
      const warn = options.warn ?? ((message: string) => process.emitWarning(message, { code: 'REGISTRY_CONFIG' }));
      const settings = parseS3Settings(storage.s3 ?? {}, warn);
      return new S3Driver({ settings, redirectDisabled: storage.redirect.disable });
    }
  }
}
