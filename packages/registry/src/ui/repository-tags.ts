// A repository's tags with what a list shows of each: the digest it points at and when it was pushed (the
// modification time of its current link: a push or a tag move rewrites it). One listing plus, per tag, a read
// and a stat, a bounded number at a time.
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

/** The tags of `name` (undefined when the repository has no tags directory), in lexical order. */
export async function listTagEntries(driver: StorageDriver, name: string): Promise<TagEntry[] | undefined> {
  let paths: string[];
  try {
    paths = await driver.list(pathFor({ kind: 'tagsRoot', name }));
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
  const tags = paths.map((p) => p.slice(p.lastIndexOf('/') + 1));
  const entries: (TagEntry | undefined)[] = new Array(tags.length);
  await forEachLimited(
    tags.map((tag, i) => ({ tag, i })),
    CONCURRENCY,
    async ({ tag, i }) => {
      const link = pathFor({ kind: 'tagCurrentLink', name, tag });
      try {
        const [content, info] = await Promise.all([driver.getContent(link), driver.stat(link)]);
        const digest = tryParseDigest(content.toString('utf8').trim());
        if (digest !== null) entries[i] = { tag, digest, pushed: info.modTime };
      } catch (err) {
        if (!isPathNotFound(err)) throw err; // a tag being deleted: left out
      }
    },
  );
  return entries.filter((entry): entry is TagEntry => entry !== undefined).sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}
