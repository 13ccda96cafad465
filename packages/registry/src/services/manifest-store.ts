// Manifests: validated on push, stored as blobs with a revision link, served byte-exact.
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import { digestOf, isDigestReference, parseDigest, type Digest } from '../oci/digest.js';
import { isValidTag } from '../oci/repository-name.js';
import { parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { RegistryError } from '../oci/registry-errors.js';
import type { BlobStore } from './blob-store.js';
import type { TagStore } from './tag-store.js';
import { manifestUnknown } from './tag-store.js';
import type { ReferrersIndex } from './referrers-index.js';
import { ManifestCache, type CachedManifest } from './manifest-cache.js';
import { readLink, writeLink, deleteIfPresent } from './link-files.js';
import { repositoryExists, nameUnknown } from './repository-check.js';
import { sweptTagKey, type SweepGuard } from '../gc/sweep-intent.js';

export interface ManifestContent extends CachedManifest {
  digest: Digest;
}

export interface PutManifestResult {
  digest: Digest;
  subject?: Digest;
}

export type Reference = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

export function parseReference(reference: string): Reference {
  if (isDigestReference(reference)) return { kind: 'digest', digest: parseDigest(reference) };
  if (!isValidTag(reference)) {
    throw new RegistryError('TAG_INVALID', 'manifest tag did not match URI', { detail: { tag: reference.slice(0, 200) } });
  }
  return { kind: 'tag', tag: reference };
}

/** How long a manifest PUT waits for a garbage collection to deal with what the manifest needs. */
const SWEEP_WAIT_MS = 30_000;

export class ManifestStore {
  private readonly cache = new ManifestCache();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly tags: TagStore,
    private readonly referrers: ReferrersIndex,
    private readonly sweepGuard: SweepGuard,
  ) {}

  async get(name: string, reference: Reference): Promise<ManifestContent> {
    const digest = reference.kind === 'tag' ? await this.tags.resolve(name, reference.tag) : reference.digest;
    if (!(await this.hasRevision(name, digest))) {
      if (reference.kind === 'digest' && !(await repositoryExists(this.driver, name))) throw nameUnknown(name);
      throw manifestUnknown(name, digest.value);
    }
    const content = await this.load(digest);
    if (!content) throw manifestUnknown(name, digest.value);
    return { ...content, digest };
  }

  /** Whether `name` holds the manifest revision `digest` (its revision link names that digest). */
  async hasRevision(name: string, digest: Digest): Promise<boolean> {
    const linked = await readLink(this.driver, pathFor({ kind: 'manifestRevisionLink', name, digest }));
    return linked !== null && linked.value === digest.value;
  }

  /** Reads a manifest body by digest (no repository check), through the cache. */
  async load(digest: Digest): Promise<CachedManifest | null> {
    const cached = this.cache.get(digest.value);
    if (cached) return cached;
    let content: Buffer;
    try {
      content = await this.driver.getContent(pathFor({ kind: 'blobData', digest }));
    } catch (err) {
      if (isPathNotFound(err)) return null;
      throw err;
    }
    const parsed = parseManifest(content, undefined);
    const entry = { content, mediaType: parsed.mediaType, parsed };
    this.cache.set(digest.value, entry);
    return entry;
  }

  /**
   * Stores a manifest. `checkReferences: false` is for the mirror, which caches a manifest before the blobs it
   * names (they are fetched when a client asks for them); a push always checks.
   */
  async put(
    name: string,
    reference: Reference,
    content: Buffer,
    contentType: string | undefined,
    options: { checkReferences?: boolean } = {},
  ): Promise<PutManifestResult> {
    const parsed = parseManifest(content, contentType);
    const algorithm = reference.kind === 'digest' ? reference.digest.algorithm : 'sha256';
    const digest = digestOf(content, algorithm);
    if (reference.kind === 'digest' && reference.digest.value !== digest.value) {
      throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', {
        detail: { expected: reference.digest.value, actual: digest.value },
      });
    }
    if (options.checkReferences !== false) await this.checkReferences(name, parsed);
    // Order matters for crash safety: content, then revision link, then tag and referrer links.
    const blobPath = pathFor({ kind: 'blobData', digest });
    if (!(await this.blobs.statGlobal(digest))) await this.driver.putContent(blobPath, content);
    const revisionLink = pathFor({ kind: 'manifestRevisionLink', name, digest });
    const existed = await this.hasRevision(name, digest);
    await writeLink(this.driver, revisionLink, digest);
    await this.checkNotBeingSwept(name, digest, parsed, existed);
    if (reference.kind === 'tag') {
      await this.tags.tag(name, reference.tag, digest);
      // Retention may be deleting this tag right now: once the sweep has dealt with it, write it again.
      if ((await this.sweepGuard.settle([sweptTagKey(name, reference.tag)], SWEEP_WAIT_MS)).waited) await this.tags.tag(name, reference.tag, digest);
    }
    if (parsed.subject) await this.referrers.add(name, parsed.subject.digest, digest);
    this.cache.set(digest.value, { content, mediaType: parsed.mediaType, parsed });
    return parsed.subject ? { digest, subject: parsed.subject.digest } : { digest };
  }

  /** Deletes a manifest revision with every tag pointing at it and its referrer entry. */
  async delete(name: string, digest: Digest): Promise<void> {
    const manifest = await this.get(name, { kind: 'digest', digest });
    for (const tag of await this.tags.tagsOf(name, digest)) await this.tags.untag(name, tag).catch(() => undefined);
    if (manifest.parsed.subject) await this.referrers.remove(name, manifest.parsed.subject.digest, digest);
    await deleteIfPresent(this.driver, pathFor({ kind: 'manifestRevision', name, digest }));
  }

  /**
   * After the revision link is written: when a garbage collection announced it is deleting something this
   * manifest needs, the push fails as if the blob were unknown (the client uploads it again) and the new
   * revision link is taken back. See gc/sweep-intent.ts for why checking after linking is enough.
   */
  private async checkNotBeingSwept(name: string, digest: Digest, parsed: ParsedManifest, existed: boolean): Promise<void> {
    const needed = [digest.value, ...parsed.blobs.filter((b) => !(b.urls && b.urls.length > 0)).map((b) => b.digest.value), ...parsed.manifests.map((m) => m.digest.value)];
    // The sweep takes each digest off its intent once it has deleted or spared it: wait for that, then look again.
    const { doomed, waited } = await this.sweepGuard.settle(needed, SWEEP_WAIT_MS);
    try {
      if (doomed.length > 0) {
        throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'manifest references a blob a garbage collection is deleting: push it again', {
          detail: { digests: doomed },
        });
      }
      if (waited) {
        if (!(await this.blobs.statGlobal(digest))) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'manifest was deleted by a garbage collection: push it again', { detail: { digests: [digest.value] } });
        await this.checkReferences(name, parsed);
      }
    } catch (err) {
      if (!existed) await deleteIfPresent(this.driver, pathFor({ kind: 'manifestRevision', name, digest })).catch(() => undefined);
      throw err;
    }
  }

  private async checkReferences(name: string, parsed: ParsedManifest): Promise<void> {
    const missing: string[] = [];
    for (const blob of parsed.blobs) {
      if (blob.urls && blob.urls.length > 0) continue; // foreign layers live elsewhere by design
      if (!(await this.blobs.find(name, blob.digest))) missing.push(blob.digest.value);
    }
    for (const child of parsed.manifests) {
      if (!(await this.hasRevision(name, child.digest))) missing.push(child.digest.value);
    }
    if (missing.length > 0) {
      throw new RegistryError('MANIFEST_BLOB_UNKNOWN', 'manifest references a manifest or blob unknown to registry', {
        detail: { digests: missing },
      });
    }
  }
}
