// A repository's tags with what a list shows of each: the digest it points at and when it was pushed (the
// modification time of its current link: a push or a tag move rewrites it). One listing, then per tag a read
// and/or a stat, a bounded number at a time (or, for the times of many tags on S3, one flat key listing); a page
// reads only the tags it shows.
import { tryParseDigest, type Digest } from '../oci/digest.js';
import { forEachLimited } from '../gc/store-inventory.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';

export interface TagEntry {
  tag: string;
  digest: Digest;
  pushed: Date;
}

const CONCURRENCY = 16;
/** Keys per listing request (S3's page) and a tag's keys at the least (its current link and one index link). */
const KEYS_PER_LISTING = 1_000;
const KEYS_PER_TAG = 2;
const CURRENT_LINK = '/current/link';

/** The tag names of `name` in lexical order (undefined when the repository has no tags directory). */
export async function listTagNames(driver: StorageDriver, name: string): Promise<string[] | undefined> {
  try {
    const paths = await driver.list(pathFor({ kind: 'tagsRoot', name }));
    return paths.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort(lexical);
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * When each of `tags` was pushed (a tag being deleted meanwhile is left out): a stat of each tag's current link,
 * CONCURRENCY at a time, or, where the driver lists keys with their times (S3) and that takes fewer round trips,
 * from one listing of the tags directory (its LIST requests follow one another, at least two keys per tag).
 */
export async function tagPushTimes(driver: StorageDriver, name: string, tags: readonly string[]): Promise<Map<string, Date>> {
  const times = new Map<string, Date>();
  const listings = Math.ceil((tags.length * KEYS_PER_TAG) / KEYS_PER_LISTING);
  if (driver.listsWithTimes === true && driver.walkFiles !== undefined && listings < Math.ceil(tags.length / CONCURRENCY)) {
    const root = pathFor({ kind: 'tagsRoot', name });
    const wanted = new Set(tags);
    await driver.walkFiles(root, (info) => {
      // <root>/<tag>/current/link; the tag's index links (<root>/<tag>/index/…) come along and are skipped.
      if (!info.path.endsWith(CURRENT_LINK)) return;
      const tag = info.path.slice(root.length + 1, -CURRENT_LINK.length);
      if (wanted.has(tag)) times.set(tag, info.modTime);
    });
    return times;
  }
  await forEachLimited(tags, CONCURRENCY, async (tag) => {
    const info = await ifPresent(driver.stat(pathFor({ kind: 'tagCurrentLink', name, tag })));
    if (info !== undefined) times.set(tag, info.modTime);
  });
  return times;
}

/** Digest and push time of each of `tags`, in their order; `pushed` when already known (saves the stat). */
export async function readTagEntries(driver: StorageDriver, name: string, tags: readonly string[], pushed?: ReadonlyMap<string, Date>): Promise<TagEntry[]> {
  const entries: (TagEntry | undefined)[] = new Array(tags.length);
  await forEachLimited(
    tags.map((tag, i) => ({ tag, i })),
    CONCURRENCY,
    async ({ tag, i }) => {
      const link = pathFor({ kind: 'tagCurrentLink', name, tag });
      const known = pushed?.get(tag);
      const [content, info] = await Promise.all([ifPresent(driver.getContent(link)), known === undefined ? ifPresent(driver.stat(link)) : { modTime: known }]);
      const digest = content === undefined ? null : tryParseDigest(content.toString('utf8').trim());
      if (digest !== null && info !== undefined) entries[i] = { tag, digest, pushed: info.modTime };
    },
  );
  return entries.filter((entry): entry is TagEntry => entry !== undefined);
}

/** Every tag of `name` with its digest and push time, in lexical order (undefined: no tags directory). */
export async function listTagEntries(driver: StorageDriver, name: string): Promise<TagEntry[] | undefined> {
  const tags = await listTagNames(driver, name);
  return tags === undefined ? undefined : readTagEntries(driver, name, tags);
}

/** The value, or undefined when the path is not there (a tag being deleted). */
async function ifPresent<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
}

function lexical(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
