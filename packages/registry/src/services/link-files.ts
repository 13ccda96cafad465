// Link files: the small "sha256:<hex>" files distribution uses to point a repository at content.
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { tryParseDigest, type Digest } from '../oci/digest.js';

export async function readLink(driver: StorageDriver, path: string): Promise<Digest | null> {
  try {
    return tryParseDigest((await driver.getContent(path)).toString('utf8').trim());
  } catch (err) {
    if (isPathNotFound(err)) return null;
    throw err;
  }
}

export async function writeLink(driver: StorageDriver, path: string, digest: Digest): Promise<void> {
  await driver.putContent(path, Buffer.from(digest.value));
}

/** Deletes a path, treating "already gone" as success (deletes are idempotent under races). */
export async function deleteIfPresent(driver: StorageDriver, path: string): Promise<boolean> {
  try {
    await driver.delete(path);
    return true;
  } catch (err) {
    if (isPathNotFound(err)) return false;
    throw err;
  }
}

export async function existsAt(driver: StorageDriver, path: string): Promise<boolean> {
  try {
    await driver.stat(path);
    return true;
  } catch (err) {
    if (isPathNotFound(err)) return false;
    throw err;
  }
}
