// The referrers index: for each subject digest, links to the manifests that name it as subject.
// Kept under repositories/<name>/_referrers (our extension; registry:2 ignores the directory).
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import type { Digest } from '../oci/digest.js';
import { readLink, writeLink, deleteIfPresent } from './link-files.js';

export class ReferrersIndex {
  constructor(private readonly driver: StorageDriver) {}

  async add(name: string, subject: Digest, referrer: Digest): Promise<void> {
    await writeLink(this.driver, pathFor({ kind: 'referrerLink', name, subject, digest: referrer }), referrer);
  }

  async remove(name: string, subject: Digest, referrer: Digest): Promise<void> {
    await deleteIfPresent(this.driver, pathFor({ kind: 'referrerDir', name, subject, digest: referrer }));
  }

  /** Digests of the manifests that refer to `subject`, in storage order. */
  async list(name: string, subject: Digest): Promise<Digest[]> {
    const found: Digest[] = [];
    try {
      await this.driver.walk(pathFor({ kind: 'referrersRoot', name, subject }), async (info) => {
        if (info.isDir || !info.path.endsWith('/link')) return;
        const digest = await readLink(this.driver, info.path);
        if (digest) found.push(digest);
      });
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    return found;
  }
}
