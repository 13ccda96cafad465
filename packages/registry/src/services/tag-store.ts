// Tags: mutable names for manifests, stored as distribution's current + index links.
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import type { Digest } from '../oci/digest.js';
import { RegistryError } from '../oci/registry-errors.js';
import { readLink, writeLink, deleteIfPresent } from './link-files.js';
import { repositoryExists, nameUnknown } from './repository-check.js';
import { lexicalSort } from './repository-pages.js';

function manifestUnknown(name: string, reference: string): RegistryError {
  return new RegistryError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { detail: { name, reference } });
}

export class TagStore {
  constructor(private readonly driver: StorageDriver) {}

  /** The digest a tag points at; MANIFEST_UNKNOWN (or NAME_UNKNOWN for a missing repository). */
  async resolve(name: string, tag: string): Promise<Digest> {
    const digest = await readLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }));
    if (digest) return digest;
    if (!(await repositoryExists(this.driver, name))) throw nameUnknown(name);
    throw manifestUnknown(name, tag);
  }

  async tag(name: string, tag: string, digest: Digest): Promise<void> {
    // Index entry first: a crash between the two leaves history, never a dangling current link.
    await writeLink(this.driver, pathFor({ kind: 'tagIndexEntryLink', name, tag, digest }), digest);
    await writeLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }), digest);
  }

  async list(name: string): Promise<string[]> {
    try {
      const paths = await this.driver.list(pathFor({ kind: 'tagsRoot', name }));
      return lexicalSort(paths.map((p) => p.slice(p.lastIndexOf('/') + 1)));
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
      if (!(await repositoryExists(this.driver, name))) throw nameUnknown(name);
      return [];
    }
  }

  async untag(name: string, tag: string): Promise<void> {
    if (!(await deleteIfPresent(this.driver, pathFor({ kind: 'tag', name, tag })))) {
      if (!(await repositoryExists(this.driver, name))) throw nameUnknown(name);
      throw manifestUnknown(name, tag);
    }
  }

  /** Every tag currently pointing at `digest` (used when that manifest is deleted). */
  async tagsOf(name: string, digest: Digest): Promise<string[]> {
    const tags = await this.list(name).catch((err: unknown) => {
      if (err instanceof RegistryError && err.code === 'NAME_UNKNOWN') return [];
      throw err;
    });
    const pointing: string[] = [];
    for (const tag of tags) {
      const current = await readLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }));
      if (current?.value === digest.value) pointing.push(tag);
    }
    return pointing;
  }
}

export { manifestUnknown };
