// fsck --repair: what can be put right without losing data. Corrupt blobs move to the quarantine (never
// deleted); links to nothing are removed; a link holding garbage is rewritten when its directory names an
// intact blob, else removed; missing layer links (the blob is there) and missing referrers-index entries are
// written. What cannot be repaired (a manifest whose layer is gone, a tag holding garbage) stays reported.
import { parseDigest, type Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { deleteIfPresent, writeLink } from '../services/link-files.js';
import type { Finding } from './fsck-findings.js';
import type { LinkFile, StoreCheck } from './store-check.js';

/** Links this much older than the check's start, or younger, are not repaired (clock granularity, pushes). */
const RECENT_MS = 2000;

/** The quarantine stamp of a run: 20261203T101500Z. */
export function quarantineStamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The directory of a link file (what a link's removal deletes). */
function linkDir(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

export async function repairStore(driver: StorageDriver, check: StoreCheck, stamp: string): Promise<void> {
  const linksByPath = new Map(check.links.map((l) => [l.path, l]));
  // Corrupt blobs first: the links to them are then removed as dangling.
  for (const finding of check.findings.filter((f) => f.object === 'blob' && f.kind === 'corrupt')) {
    const digest = digestOfBlobPath(finding.path);
    const target = pathFor({ kind: 'quarantinedBlob', stamp, digest });
    await driver.move(finding.path, target);
    await deleteIfPresent(driver, pathFor({ kind: 'blobDir', digest }));
    finding.repaired = `moved to ${target}`;
  }
  for (const finding of check.findings) {
    if (finding.repaired !== undefined) continue;
    const link = linksByPath.get(finding.path);
    finding.repaired = await repairOne(driver, check, finding, link);
  }
}

async function repairOne(driver: StorageDriver, check: StoreCheck, finding: Finding, link: LinkFile | undefined): Promise<string | undefined> {
  // A link written while the check ran may be a push under way (its blob written after the blobs were read): left alone.
  if (link !== undefined && link.modTime >= check.startedAt - RECENT_MS) return undefined;
  if (finding.kind === 'dangling' && link !== undefined) {
    // A tag's directory is the tag itself; other links live in a directory of their own.
    const dir = link.kind === 'tag' ? pathFor({ kind: 'tag', name: link.repository, tag: link.tag ?? '' }) : linkDir(link.path);
    await deleteIfPresent(driver, dir);
    return link.kind === 'tag' ? `tag ${link.repository}:${link.tag ?? ''} removed` : 'removed';
  }
  if (finding.kind === 'corrupt' && link !== undefined) {
    if (link.kind === 'tag') return undefined; // its target is unknown: an operator decides
    if ((link.kind === 'layer' || link.kind === 'revision') && link.named !== undefined && check.intact.has(link.named.value)) {
      await writeLink(driver, link.path, link.named);
      return `rewritten to ${link.named.value}`;
    }
    await deleteIfPresent(driver, linkDir(link.path));
    return 'removed';
  }
  if (finding.kind === 'missing' && finding.object === 'layer link') {
    const digest = digestOfLinkPath(finding.path);
    await writeLink(driver, finding.path, digest);
    return 'written';
  }
  if (finding.kind === 'missing' && finding.object === 'referrer link') {
    await writeLink(driver, finding.path, digestOfLinkPath(finding.path));
    return 'written';
  }
  return undefined;
}

/** .../blobs/sha256/ab/<hex>/data → sha256:<hex> */
function digestOfBlobPath(path: string): Digest {
  const segments = path.split('/');
  return parseDigest(`${segments.at(-4) ?? ''}:${segments.at(-2) ?? ''}`);
}

/** .../<algorithm>/<hex>/link → <algorithm>:<hex> */
function digestOfLinkPath(path: string): Digest {
  const segments = path.split('/');
  return parseDigest(`${segments.at(-3) ?? ''}:${segments.at(-2) ?? ''}`);
}
