// Blobs: content-addressed data shared by every repository, made visible to one repository by a link.
import type { Readable } from 'node:stream';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import type { Digest } from '../oci/digest.js';
import { RegistryError } from '../oci/registry-errors.js';
import { readLink, writeLink, deleteIfPresent } from './link-files.js';

export interface BlobDescriptor {
  digest: Digest;
  size: number;
}

export type BlobContent =
  | { kind: 'redirect'; url: string; descriptor: BlobDescriptor }
  | { kind: 'stream'; stream: Readable; descriptor: BlobDescriptor };

export function blobUnknown(digest: Digest): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', { detail: { digest: digest.value } });
}

export class BlobStore {
  constructor(private readonly driver: StorageDriver) {}

  /** The blob's size if it exists anywhere in the registry, else null. */
  async statGlobal(digest: Digest): Promise<BlobDescriptor | null> {
    try {
      const info = await this.driver.stat(pathFor({ kind: 'blobData', digest }));
      return { digest, size: info.size };
    } catch (err) {
      if (isPathNotFound(err)) return null;
      throw err;
    }
  }

  async isLinked(name: string, digest: Digest): Promise<boolean> {
    const linked = await readLink(this.driver, pathFor({ kind: 'layerLink', name, digest }));
    return linked !== null && linked.value === digest.value;
  }

  /** The blob as the repository sees it (linked there and present in the blob store), else null. */
  async find(name: string, digest: Digest): Promise<BlobDescriptor | null> {
    return (await this.isLinked(name, digest)) ? this.statGlobal(digest) : null;
  }

  /** Like `find`, but BLOB_UNKNOWN when the repository does not have the blob. */
  async stat(name: string, digest: Digest): Promise<BlobDescriptor> {
    const descriptor = await this.find(name, digest);
    if (!descriptor) throw blobUnknown(digest);
    return descriptor;
  }

  /**
   * Opens a blob already checked with `stat` (a byte range when given), or a URL to redirect to.
   * Taking the descriptor keeps a GET at one link read and one stat before the data.
   */
  async open(descriptor: BlobDescriptor, range?: { start: number; end: number }): Promise<BlobContent> {
    const { digest } = descriptor;
    const path = pathFor({ kind: 'blobData', digest });
    const url = await this.driver.redirectUrl(path, 'GET');
    if (url) return { kind: 'redirect', url, descriptor };
    try {
      const stream = range
        ? await this.driver.reader(path, range.start, range.end - range.start + 1)
        : await this.driver.reader(path, 0);
      return { kind: 'stream', stream, descriptor };
    } catch (err) {
      if (isPathNotFound(err)) throw blobUnknown(digest);
      throw err;
    }
  }

  async link(name: string, digest: Digest): Promise<void> {
    await writeLink(this.driver, pathFor({ kind: 'layerLink', name, digest }), digest);
  }

  /** Removes the repository's link; the data stays for other repositories until garbage collection. */
  async unlink(name: string, digest: Digest): Promise<void> {
    if (!(await this.isLinked(name, digest))) throw blobUnknown(digest);
    await deleteIfPresent(this.driver, pathFor({ kind: 'layerDir', name, digest }));
  }
}
