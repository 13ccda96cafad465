// fsck's checks: every blob hashed against its digest, every link read and checked against its directory and
// its target, every manifest parsed and its references looked up, every tag's target, the referrers index
// against the manifests' subjects. Findings name the store path; repairs are in store-repair.ts.
import { parseManifest, type ParsedManifest } from '../oci/manifest.js';
import { parseSchema1Layers } from '../oci/schema1-manifest.js';
import { tryParseDigest, type Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { FileInfo, StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { forEachLimited } from '../gc/store-inventory.js';
import { silentProgress, type ProgressReport } from './progress-report.js';
import { hashBlob } from './blob-verify.js';
import type { Finding } from './fsck-findings.js';

/** A link file as found: where, which kind, the digest its directory names, and what it holds. */
export interface LinkFile {
  path: string;
  kind: 'layer' | 'revision' | 'tag' | 'tag index' | 'referrer';
  repository: string;
  /** The digest the path names (layer, revision, tag index entry, referrer), or undefined for a tag's current link. */
  named?: Digest;
  /** Tag name (tag and tag index links). */
  tag?: string;
  /** Subject digest (referrer links). */
  subject?: Digest;
  /** The digest the file holds, or null when it holds something else. */
  content: Digest | null;
  raw: string;
  /** When the link was last written (ms since the epoch). */
  modTime: number;
}

export interface StoreCheck {
  /** When the check began (ms since the epoch): links written since may belong to a push under way. */
  startedAt: number;
  findings: Finding[];
  links: LinkFile[];
  /** Blob digests present and verified intact. */
  intact: Set<string>;
  counts: { blobs: number; bytesVerified: number; links: number; manifests: number; tags: number };
  /** For repairs: manifests by repository and digest, as parsed. */
  manifests: Map<string, ParsedManifest>;
}

const READ_CONCURRENCY = 16;
const HASH_CONCURRENCY = 2;

async function allFiles(driver: StorageDriver, root: string): Promise<FileInfo[]> {
  const files: FileInfo[] = [];
  const collect = (info: FileInfo): void => {
    if (!info.isDir) files.push(info);
  };
  try {
    if (driver.walkFiles !== undefined) await driver.walkFiles(root, collect);
    else await driver.walk(root, collect);
  } catch (err) {
    if (!isPathNotFound(err)) throw err;
  }
  return files;
}

function classify(root: string, info: FileInfo): Omit<LinkFile, 'content' | 'raw' | 'modTime'> | undefined {
  if (!info.path.endsWith('/link')) return undefined;
  const segments = info.path.slice(root.length + 1).split('/');
  const at = segments.findIndex((s) => s.startsWith('_'));
  if (at <= 0) return undefined;
  const repository = segments.slice(0, at).join('/');
  const rest = segments.slice(at);
  const digestAt = (i: number): Digest | undefined => tryParseDigest(`${rest[i] ?? ''}:${rest[i + 1] ?? ''}`) ?? undefined;
  const path = info.path;
  if (rest[0] === '_layers' && rest.length === 4) return { path, kind: 'layer', repository, named: digestAt(1) };
  if (rest[0] === '_manifests' && rest[1] === 'revisions' && rest.length === 5) return { path, kind: 'revision', repository, named: digestAt(2) };
  if (rest[0] === '_manifests' && rest[1] === 'tags' && rest[3] === 'current' && rest.length === 5) return { path, kind: 'tag', repository, tag: rest[2] };
  if (rest[0] === '_manifests' && rest[1] === 'tags' && rest[3] === 'index' && rest.length === 7) return { path, kind: 'tag index', repository, tag: rest[2], named: digestAt(4) };
  if (rest[0] === '_referrers' && rest.length === 6) return { path, kind: 'referrer', repository, subject: digestAt(1), named: digestAt(3) };
  return undefined;
}

export async function checkStore(driver: StorageDriver, progress: ProgressReport = silentProgress): Promise<StoreCheck> {
  const startedAt = Date.now();
  const findings: Finding[] = [];
  const blobsRoot = pathFor({ kind: 'blobsRoot' });
  const repositoriesRoot = pathFor({ kind: 'repositoriesRoot' });

  // Blobs: each hashed as it streams.
  const blobFiles = (await allFiles(driver, blobsRoot)).filter((f) => f.path.endsWith('/data'));
  const present = new Map<string, Digest>();
  for (const file of blobFiles) {
    const segments = file.path.slice(blobsRoot.length + 1).split('/');
    const digest = segments.length === 4 ? tryParseDigest(`${segments[0] ?? ''}:${segments[2] ?? ''}`) : null;
    if (digest === null) continue;
    present.set(digest.value, digest);
  }
  const intact = new Set<string>();
  let bytesVerified = 0;
  progress.phase('verify', present.size);
  await forEachLimited([...present.values()], HASH_CONCURRENCY, async (digest) => {
    const path = pathFor({ kind: 'blobData', digest });
    try {
      const { actual, size } = await hashBlob(driver, digest, (n) => progress.advance(0, n));
      bytesVerified += size;
      if (actual === digest.value) intact.add(digest.value);
      else findings.push({ kind: 'corrupt', object: 'blob', path, problem: `content hashes to ${actual}, not ${digest.value}` });
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    progress.advance();
  });

  // Links: read them all.
  const candidates = (await allFiles(driver, repositoriesRoot)).flatMap((info) => {
    const link = classify(repositoriesRoot, info);
    return link === undefined ? [] : [{ ...link, modTime: info.modTime.getTime() }];
  });
  const links: LinkFile[] = [];
  progress.phase('links', candidates.length);
  await forEachLimited(candidates, READ_CONCURRENCY, async (candidate) => {
    try {
      const raw = (await driver.getContent(candidate.path)).toString('utf8');
      links.push({ ...candidate, raw, content: tryParseDigest(raw.trim()) });
    } catch (err) {
      if (!isPathNotFound(err)) throw err;
    }
    progress.advance();
  });
  links.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const revisions = new Set<string>();
  const layers = new Set<string>();
  const corruptLinks = new Set<string>();
  for (const link of links) {
    if (link.content === null || (link.named !== undefined && link.content.value !== link.named.value)) {
      corruptLinks.add(link.path);
      const problem = link.content === null ? `holds ${JSON.stringify(link.raw.slice(0, 80))}, not a digest` : `names ${link.content.value}, not ${link.named?.value ?? '?'} as its directory does`;
      findings.push({ kind: 'corrupt', object: `${link.kind} link`, path: link.path, problem });
      continue;
    }
    const target = link.content.value;
    if ((link.kind === 'layer' || link.kind === 'revision') && !intact.has(target)) {
      const why = present.has(target) ? 'a corrupt blob' : 'a blob not in the store';
      findings.push({ kind: 'dangling', object: `${link.kind} link`, path: link.path, problem: `points at ${why} (${target})` });
      continue;
    }
    if (link.kind === 'revision') revisions.add(`${link.repository}@${target}`);
    if (link.kind === 'layer') layers.add(`${link.repository}@${target}`);
  }

  // Manifests: parse each revision, look up what it references.
  const manifests = new Map<string, ParsedManifest>();
  const revisionLinks = links.filter((l) => l.kind === 'revision' && l.content !== null && revisions.has(`${l.repository}@${l.content.value}`));
  progress.phase('manifests', revisionLinks.length);
  for (const link of revisionLinks) {
    const digest = link.content as Digest;
    const blobPath = pathFor({ kind: 'blobData', digest });
    let parsed: ParsedManifest;
    const content = await driver.getContent(blobPath);
    try {
      parsed = parseManifest(content, undefined);
    } catch {
      // The bytes match their digest, so the revision is intact whatever they hold: its tags are not dangling
      // (a repair would delete them). A schema 1 manifest (older registry:2 data) is legitimate: its layers are checked.
      const schema1 = parseSchema1Layers(content);
      if (schema1 === undefined) {
        findings.push({ kind: 'corrupt', object: 'manifest', path: blobPath, problem: `revision ${link.repository}@${digest.value} is not a manifest this registry can parse; its references are not checked` });
      } else {
        manifests.set(`${link.repository}@${digest.value}`, schema1);
      }
      progress.advance();
      continue;
    }
    manifests.set(`${link.repository}@${digest.value}`, parsed);
    progress.advance();
  }
  for (const [key, parsed] of manifests) {
    const [repository, digestValue] = splitKey(key);
    for (const blob of parsed.blobs) {
      if (blob.urls && blob.urls.length > 0) continue;
      if (!intact.has(blob.digest.value)) {
        findings.push({ kind: 'missing', object: 'blob', path: pathFor({ kind: 'blobData', digest: blob.digest }), problem: `${repository}@${digestValue} references it; ${present.has(blob.digest.value) ? 'it is corrupt' : 'it is not in the store'}` });
      } else if (!layers.has(`${repository}@${blob.digest.value}`) && !corruptLinks.has(pathFor({ kind: 'layerLink', name: repository, digest: blob.digest }))) {
        findings.push({ kind: 'missing', object: 'layer link', path: pathFor({ kind: 'layerLink', name: repository, digest: blob.digest }), problem: `${repository}@${digestValue} references the blob, the repository does not link it` });
      }
    }
    for (const child of parsed.manifests) {
      if (!revisions.has(`${repository}@${child.digest.value}`)) {
        findings.push({ kind: 'missing', object: 'manifest', path: pathFor({ kind: 'manifestRevisionLink', name: repository, digest: child.digest }), problem: `index ${repository}@${digestValue} names it; the repository does not hold it` });
      }
    }
  }

  // Tags and the referrers index.
  const referrerEntries = new Set<string>();
  let tags = 0;
  for (const link of links) {
    if (link.content === null || (link.named !== undefined && link.content.value !== link.named.value)) continue;
    if (link.kind === 'tag') {
      tags += 1;
      if (!revisions.has(`${link.repository}@${link.content.value}`)) {
        findings.push({ kind: 'dangling', object: 'tag', path: link.path, problem: `${link.repository}:${link.tag ?? ''} points at ${link.content.value}, which the repository does not hold intact` });
      }
    }
    if (link.kind === 'referrer' && link.subject !== undefined) {
      const parsed = manifests.get(`${link.repository}@${link.content.value}`);
      if (parsed === undefined) findings.push({ kind: 'dangling', object: 'referrer link', path: link.path, problem: `names ${link.content.value}, which the repository does not hold intact` });
      else if (parsed.subject?.digest.value !== link.subject.value) findings.push({ kind: 'dangling', object: 'referrer link', path: link.path, problem: `${link.content.value} does not name ${link.subject.value} as its subject` });
      else referrerEntries.add(`${link.repository}@${link.subject.value}@${link.content.value}`);
    }
  }
  for (const [key, parsed] of manifests) {
    if (parsed.subject === undefined) continue;
    const [repository, digestValue] = splitKey(key);
    if (referrerEntries.has(`${repository}@${parsed.subject.digest.value}@${digestValue}`)) continue;
    const digest = tryParseDigest(digestValue) as Digest;
    findings.push({ kind: 'missing', object: 'referrer link', path: pathFor({ kind: 'referrerLink', name: repository, subject: parsed.subject.digest, digest }), problem: `${repository}@${digestValue} names ${parsed.subject.digest.value} as its subject; the referrers index does not list it` });
  }
  progress.stop();
  return { startedAt, findings, links, intact, manifests, counts: { blobs: present.size, bytesVerified, links: links.length, manifests: manifests.size, tags } };
}

function splitKey(key: string): [string, string] {
  const at = key.lastIndexOf('@');
  return [key.slice(0, at), key.slice(at + 1)];
}
