// Picks the storage driver named by the configuration.
import { resolve } from 'node:path';
import { CodedError } from '@private-registry/core';
import type { StorageConfig } from '../config/registry-config.js';
import type { StorageDriver } from './storage-driver.js';
import { FilesystemDriver } from './filesystem-driver.js';
import { MemoryDriver } from './memory-driver.js';

export function createStorageDriver(storage: StorageConfig): StorageDriver {
  switch (storage.driver) {
    case 'filesystem':
      return new FilesystemDriver({ rootDirectory: resolve(storage.filesystem?.rootDirectory ?? './data') });
    case 'inmemory':
      return new MemoryDriver();
    case 's3':
      throw new CodedError('DRIVER_UNSUPPORTED', 'invalid configuration: storage.s3: the S3 storage driver is not available in this version yet');
  }
}
