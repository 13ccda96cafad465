// Marking: what a repository's kept roots reach. A manifest reaches its own blob, its config and layers (in the
// global blob store) and, for an index, its child manifests in the same repository; a referrer (a manifest whose
// `subject` is kept) is reached too when the policy keeps referrers. Manifests that cannot be read are leaves.
import type { CachedManifest } from '../services/manifest-cache.js';
import { parseDigest } from '../oci/digest.js';

export type ManifestLoader = (digest: string) => Promise<CachedManifest | null>;

export interface Marks {
  /** Blob digests (layers, configs and manifest bodies) something kept references, across repositories. */
  blobs: Set<string>;
}

/**
 * Marks from `roots` in one repository and returns the revisions reached. `revisions` lists the repository's
 * manifest revisions (digest values); referrers among them are followed when `followReferrers`.
 */
export async function markRepository(
  roots: Iterable<string>,
  revisions: ReadonlySet<string>,
  load: ManifestLoader,
  marks: Marks,
  followReferrers: boolean,
): Promise<Set<string>> {
  const reached = new Set<string>();
  const subjects = new Map<string, string[]>();
  const queue: string[] = [...roots];
  const visit = async (digest: string): Promise<void> => {
    if (reached.has(digest)) return;
    reached.add(digest);
    marks.blobs.add(digest);
    const manifest = await loadQuietly(load, digest);
    if (manifest === null) return;
    for (const blob of manifest.parsed.blobs) marks.blobs.add(blob.digest.value);
    for (const child of manifest.parsed.manifests) queue.push(child.digest.value);
  };
  while (queue.length > 0) await visit(queue.pop() as string);
  if (!followReferrers) return reached;
  // Referrers: revisions whose subject is reached; found by reading each unreached revision once.
  for (const digest of revisions) {
    if (reached.has(digest)) continue;
    const manifest = await loadQuietly(load, digest);
    const subject = manifest?.parsed.subject?.digest.value;
    if (subject === undefined) continue;
    let list = subjects.get(subject);
    if (list === undefined) subjects.set(subject, (list = []));
    list.push(digest);
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const [subject, referrers] of subjects) {
      if (!reached.has(subject)) continue;
      subjects.delete(subject);
      for (const referrer of referrers) queue.push(referrer);
      while (queue.length > 0) await visit(queue.pop() as string);
      grew = true;
    }
  }
  return reached;
}

async function loadQuietly(load: ManifestLoader, digest: string): Promise<CachedManifest | null> {
  try {
    parseDigest(digest);
    return await load(digest);
  } catch {
    return null; // corrupt or not a manifest: a leaf here, a finding for fsck
  }
}
