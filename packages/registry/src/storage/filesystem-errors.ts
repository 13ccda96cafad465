// Maps Node's I/O errors onto the storage errors, never leaking the absolute root directory.
import { isErrnoError } from '@private-registry/core';
import { InvalidPathError, PathNotFoundError, StorageError, StorageUnavailableError } from './storage-errors.js';

export function toStorageError(driver: string, path: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  if (isErrnoError(err, 'ENOENT') || isErrnoError(err, 'ENOTDIR') || isErrnoError(err, 'EISDIR')) {
    return new PathNotFoundError(driver, path, { cause: err });
  }
  if (isErrnoError(err, 'ENAMETOOLONG')) return new InvalidPathError(driver, path);
  // The system's own message names the absolute file; clients may only ever see the storage path.
  const code = isErrnoError(err) ? err.code : 'unexpected error';
  return new StorageUnavailableError(driver, path, `${code} on ${path}`, { cause: err });
}
