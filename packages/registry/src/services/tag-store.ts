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

/** Bound on the memory of tags known to have a current link; past it the set starts over. */
const CONFIRMED_LIMIT = 200_000;

export class TagStore {
  /**
   * Tags seen with a current link, per repository. A crash while a new tag is written can leave its
   * directory without one; such a tag is not listed. Once seen, a tag keeps its current link until
   * the whole tag directory is deleted, so the check is needed once per tag, not per listing.
   */
  private readonly confirmed = new Map<string, Set<string>>();
  private confirmedCount = 0;

  constructor(private readonly driver: StorageDriver) {}

  /** The digest a tag points at; MANIFEST_UNKNOWN (or NAME_UNKNOWN for a missing repository). */
  async resolve(name: string, tag: string): Promise<Digest> {
    const digest = await readLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }));
    if (digest) return digest;
    if (!(await repositoryExists(this.driver, name))) throw nameUnknown(name);
    throw manifestUnknown(name, tag);
  }

  /** The digest a tag points at now, or undefined when it does not exist (no error, one read). */
  async current(name: string, tag: string): Promise<Digest | undefined> {
    return (await readLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }))) ?? undefined;
  }

  async tag(name: string, tag: string, digest: Digest): Promise<void> {
    // The current link first: the tag resolves as soon as it exists; the index entry is history.
    await writeLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }), digest);
    this.confirm(name, tag);
    await writeLink(this.driver, pathFor({ kind: 'tagIndexEntryLink', name, tag, digest }), digest);
  }

  async list(name: string): Promise<string[]> {
    try {
      const paths = await this.driver.list(pathFor({ kind: 'tagsRoot', name }));
      const tags = paths.map((p) => p.slice(p.lastIndexOf('/') + 1));
      const known = this.confirmed.get(name);
      const unconfirmed = known ? tags.filter((tag) => !known.has(tag)) : tags;
      if (unconfirmed.length === 0) return tags; // the driver lists in lexical order
      const missing = new Set<string>();
      await Promise.all(
        unconfirmed.map(async (tag) => {
          if (!(await this.hasCurrentLink(name, tag))) missing.add(tag);
        }),
      );
      return lexicalSort(tags.filter((tag) => !missing.has(tag)));
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
      if (!(await repositoryExists(this.driver, name))) throw nameUnknown(name);
      return [];
    }
  }

  private async hasCurrentLink(name: string, tag: string): Promise<boolean> {
    if (this.confirmed.get(name)?.has(tag)) return true;
    const found = (await readLink(this.driver, pathFor({ kind: 'tagCurrentLink', name, tag }))) !== null;
    if (found) this.confirm(name, tag);
    return found;
  }

  private confirm(name: string, tag: string): void {
    if (this.confirmedCount >= CONFIRMED_LIMIT) {
      this.confirmed.clear();
      this.confirmedCount = 0;
    }
    let tags = this.confirmed.get(name);
    if (!tags) this.confirmed.set(name, (tags = new Set()));
    if (!tags.has(tag)) {
      tags.add(tag);
      this.confirmedCount += 1;
    }
  }

  async untag(name: string, tag: string): Promise<void> {
    if (this.confirmed.get(name)?.delete(tag)) this.confirmedCount -= 1;
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
