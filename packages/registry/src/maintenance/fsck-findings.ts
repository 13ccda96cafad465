// What fsck reports: one finding per problem, with the store path it concerns and what --repair did about it.
export type FindingKind = 'corrupt' | 'missing' | 'dangling';

export interface Finding {
  kind: FindingKind;
  /** What the object is: "blob", "layer link", "manifest", "revision link", "tag", "referrer link"... */
  object: string;
  /** The store path of the object at fault (or, for something missing, where it should be). */
  path: string;
  /** What is wrong, in words. */
  problem: string;
  /** Set by --repair: what was done ("quarantined to ...", "removed", "written"). */
  repaired?: string;
}

export interface FsckSummary {
  blobs: number;
  bytesVerified: number;
  links: number;
  manifests: number;
  tags: number;
  corrupt: number;
  missing: number;
  dangling: number;
  repaired: number;
  /** Problems left after the run (all of them without --repair). */
  remaining: number;
  durationMs: number;
}

export function summarize(findings: readonly Finding[], counts: Pick<FsckSummary, 'blobs' | 'bytesVerified' | 'links' | 'manifests' | 'tags'>, durationMs: number): FsckSummary {
  const by = (kind: FindingKind) => findings.filter((f) => f.kind === kind).length;
  const repaired = findings.filter((f) => f.repaired !== undefined).length;
  return { ...counts, corrupt: by('corrupt'), missing: by('missing'), dangling: by('dangling'), repaired, remaining: findings.length - repaired, durationMs };
}

export function describeFinding(finding: Finding): string {
  const repaired = finding.repaired === undefined ? '' : ` [repaired: ${finding.repaired}]`;
  return `${finding.kind.padEnd(8)} ${finding.object} ${finding.path}: ${finding.problem}${repaired}`;
}

export function summaryLine(s: FsckSummary): string {
  const problems = s.corrupt + s.missing + s.dangling;
  return (
    `fsck: checked ${s.blobs} blobs (${s.bytesVerified} bytes verified), ${s.links} links, ${s.manifests} manifests, ${s.tags} tags in ${(s.durationMs / 1000).toFixed(1)}s: ` +
    (problems === 0 ? 'clean' : `${problems} problems (${s.corrupt} corrupt, ${s.missing} missing, ${s.dangling} dangling)${s.repaired > 0 ? `, ${s.repaired} repaired, ${s.remaining} left` : ''}`)
  );
}
