// Whether a repository exists at all: the difference between NAME_UNKNOWN and MANIFEST_UNKNOWN.
import type { StorageDriver } from '../storage/storage-driver.js';
import { pathFor } from '../storage/path-spec.js';
import { RegistryError } from '../oci/registry-errors.js';
import { existsAt } from './link-files.js';

export async function repositoryExists(driver: StorageDriver, name: string): Promise<boolean> {
  return existsAt(driver, pathFor({ kind: 'repository', name }));
}

export function nameUnknown(name: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { detail: { name } });
}
