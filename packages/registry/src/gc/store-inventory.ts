// What the store holds, read in one walk of the repositories tree and one of the blob store: per repository its
// tags, manifest revisions, layer links and referrer links with their modification times, and every blob with
// its size and time. The collector decides on this snapshot and re-checks each object before deleting it.
import { tryParseDigest, type Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { FileInfo, StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { readLink } from '../services/link-files.js';

export interface LinkEntry {
  digest: Digest;
  /** Milliseconds since the epoch: when the link was last written. */
  modTime: number;
}

export interface TagEntry extends LinkEntry {
  tag: string;
}

export interface ReferrerEntry {
  subject: Digest;
  digest: Digest;
}

export interface RepositoryInventory {
  name: string;
  /** Tag → its current link (tags whose current link is missing or unreadable are left out). */
  tags: Map<string, TagEntry>;
  /** Manifest revisions by digest value. */
  revisions: Map<string, LinkEntry>;
  /** Layer links by digest value. */
  layers: Map<string, LinkEntry>;
  referrers: ReferrerEntry[];
}

export interface BlobEntry {
  digest: Digest;
  size: number;
  modTime: number;
}

interface PendingTag {
  name: string;
  tag: string;
  path: string;
  modTime: number;
}

/** Every repository's links, in one walk of repositories/ (tag targets are read afterwards, one read per tag). */
export async function scanRepositories(driver: StorageDriver, onFile: () => void = () => undefined): Promise<Map<string, RepositoryInventory>> {
  const root = pathFor({ kind: 'repositoriesRoot' });
  const repositories = new Map<string, RepositoryInventory>();
  const pendingTags: PendingTag[] = [];
  const repository = (name: string): RepositoryInventory => {
    let found = repositories.get(name);
    if (found === undefined) {
      found = { name, tags: new Map(), revisions: new Map(), layers: new Map(), referrers: [] };
      repositories.set(name, found);
    }
    return found;
  };
  const visit = (info: FileInfo): void => {
    if (info.isDir || !info.path.endsWith('/link')) return;
    onFile();
    const segments = info.path.slice(root.length + 1).split('/');
    const at = segments.findIndex((s) => s.startsWith('_'));
    if (at <= 0) return;
    const name = segments.slice(0, at).join('/');
    const rest = segments.slice(at);
    const modTime = info.modTime.getTime();
    const digestAt = (i: number): Digest | null => tryParseDigest(`${rest[i] ?? ''}:${rest[i + 1] ?? ''}`);
    if (rest[0] === '_layers' && rest.length === 4) {
      const digest = digestAt(1);
      if (digest) repository(name).layers.set(digest.value, { digest, modTime });
    } else if (rest[0] === '_manifests' && rest[1] === 'revisions' && rest.length === 5) {
      const digest = digestAt(2);
      if (digest) repository(name).revisions.set(digest.value, { digest, modTime });
    } else if (rest[0] === '_manifests' && rest[1] === 'tags' && rest[3] === 'current' && rest.length === 5) {
      pendingTags.push({ name, tag: rest[2] ?? '', path: info.path, modTime });
      repository(name);
    } else if (rest[0] === '_referrers' && rest.length === 6) {
      const subject = digestAt(1);
      const digest = digestAt(3);
      if (subject && digest) repository(name).referrers.push({ subject, digest });
    }
  };
  // Uploads in progress and the mirror's bookkeeping hold no links the collector needs.
  await walkAllFiles(driver, root, visit, (info) => !/\/_(uploads|mirror)$/.test(info.path));
  await forEachLimited(pendingTags, 16, async (pending) => {
    const digest = await readLink(driver, pending.path);
    if (digest) repository(pending.name).tags.set(pending.tag, { tag: pending.tag, digest, modTime: pending.modTime });
  });
  return repositories;
}

/** Every blob in the blob store (its data file), in one walk of blobs/. */
export async function scanBlobs(driver: StorageDriver, onBlob: () => void = () => undefined): Promise<Map<string, BlobEntry>> {
  const root = pathFor({ kind: 'blobsRoot' });
  const blobs = new Map<string, BlobEntry>();
  await walkAllFiles(driver, root, (info) => {
      if (info.isDir || !info.path.endsWith('/data')) return;
      const segments = info.path.slice(root.length + 1).split('/');
      if (segments.length !== 4) return;
      const digest = tryParseDigest(`${segments[0] ?? ''}:${segments[2] ?? ''}`);
      if (digest === null) return;
      onBlob();
      blobs.set(digest.value, { digest, size: info.size, modTime: info.modTime.getTime() });
  });
  return blobs;
}

/** Every file under `root`: the driver's flat listing where it has one, else a walk (skipping what `enter` refuses). */
async function walkAllFiles(driver: StorageDriver, root: string, visit: (info: FileInfo) => void, enter: (info: FileInfo) => boolean = () => true): Promise<void> {
  try {
    if (driver.walkFiles !== undefined) await driver.walkFiles(root, visit);
    else await driver.walk(root, visit, { enterDir: enter });
  } catch (err) {
    if (!isPathNotFound(err)) throw err;
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
