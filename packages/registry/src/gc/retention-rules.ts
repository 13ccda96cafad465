// Which policy governs a repository, and what it decides for each tag. A tag is kept when a keep rule holds it
// (keeptags pattern, keeppushedwithin, keeppulledwithin, or — with keepreferrers — it is a cosign-style
// "sha256-<hex>.sig" tag of a kept manifest); otherwise it is deleted when a delete rule names it (beyond the
// keeplatest newest, or pushed longer ago than deleteolderthan); otherwise it is kept. Every decision names
// the rule that made it, for `gc --dry-run`.
import picomatch from 'picomatch';
import { compareSpecificity, globSpecificity } from '../auth/repository-glob.js';
import { repositoryMatcher } from '../auth/repository-matcher.js';
import type { RetentionPolicy } from '../config/registry-config.js';
import type { TagEntry } from './store-inventory.js';

export interface TagDecision {
  tag: TagEntry;
  keep: boolean;
  /** The rule that decided, e.g. "keeplatest: 10 (rank 12)", "keeptags: v*", "no rule deletes it". */
  rule: string;
}

export interface RetentionContext {
  now: number;
  /** When the manifest `digest` was last pulled from this repository, if ever recorded. */
  pulledAt: (digest: string) => Promise<number | undefined>;
}

const matchers = new Map<string, (name: string) => boolean>();

function matches(glob: string, name: string): boolean {
  let matcher = matchers.get(glob);
  if (matcher === undefined) matchers.set(glob, (matcher = repositoryMatcher(glob)));
  return matcher(name);
}

/** The policy for `name`: the most specific matching glob; the first in the file among equals. */
export function policyFor(policies: readonly RetentionPolicy[], name: string): RetentionPolicy | undefined {
  let best: { policy: RetentionPolicy; specificity: number[] } | undefined;
  for (const policy of policies) {
    for (const glob of policy.repositories) {
      if (!matches(glob, name)) continue;
      const specificity = globSpecificity(glob);
      if (best === undefined || compareSpecificity(specificity, best.specificity) > 0) best = { policy, specificity };
    }
  }
  return best?.policy;
}

const COSIGN_TAG = /^(sha256)-([a-f0-9]{64})\.[a-z]+$/;

/** The manifest a cosign-style tag ("sha256-<hex>.sig", ".att", ".sbom") belongs to, else undefined. */
export function cosignSubject(tag: string): string | undefined {
  const m = COSIGN_TAG.exec(tag);
  return m === null ? undefined : `${m[1]}:${m[2]}`;
}

/**
 * Decides every tag of one repository. `isKeptManifest` answers for cosign-style tags whether the manifest they
 * sign stays (asked after the other tags are decided).
 */
export async function decideTags(
  policy: RetentionPolicy,
  tags: readonly TagEntry[],
  context: RetentionContext,
  isKeptManifest: (digest: string, decided: readonly TagDecision[]) => Promise<boolean>,
): Promise<TagDecision[]> {
  const keepPattern = policy.keepTags.length > 0 ? picomatch(policy.keepTags, { dot: true }) : undefined;
  // Newest first; equal times by name, so a run is repeatable.
  const byAge = [...tags].sort((a, b) => b.modTime - a.modTime || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const decisions: TagDecision[] = [];
  const cosign: TagEntry[] = [];
  // Tags a keep rule holds do not take one of the keeplatest places: "the 10 newest, and every v*" keeps 10 plus those.
  let rank = 0;
  for (const tag of byAge) {
    if (policy.keepReferrers && cosignSubject(tag.tag) !== undefined) {
      cosign.push(tag);
      continue;
    }
    const kept = await keepRule(policy, tag, context, keepPattern);
    if (kept !== undefined) {
      decisions.push({ tag, keep: true, rule: kept });
      continue;
    }
    rank += 1;
    decisions.push({ tag, ...deleteRule(policy, tag, rank, context.now) });
  }
  for (const tag of cosign) {
    const subject = cosignSubject(tag.tag) as string;
    decisions.push(
      (await isKeptManifest(subject, decisions))
        ? { tag, keep: true, rule: `keepreferrers: signs ${subject}` }
        : { tag, keep: false, rule: `keepreferrers: ${subject} is not kept` },
    );
  }
  return decisions;
}

async function keepRule(policy: RetentionPolicy, tag: TagEntry, context: RetentionContext, keepPattern: ((tag: string) => boolean) | undefined): Promise<string | undefined> {
  if (keepPattern?.(tag.tag)) return `keeptags: ${policy.keepTags.join(', ')}`;
  if (policy.keepPushedWithinMs !== undefined && context.now - tag.modTime <= policy.keepPushedWithinMs) return `keeppushedwithin: ${formatAge(policy.keepPushedWithinMs)}`;
  if (policy.keepPulledWithinMs !== undefined) {
    const pulled = await context.pulledAt(tag.digest.value);
    if (pulled !== undefined && context.now - pulled <= policy.keepPulledWithinMs) return `keeppulledwithin: ${formatAge(policy.keepPulledWithinMs)}`;
  }
  return undefined;
}

function deleteRule(policy: RetentionPolicy, tag: TagEntry, rank: number, now: number): { keep: boolean; rule: string } {
  const age = now - tag.modTime;
  if (policy.keepLatest !== undefined && rank > policy.keepLatest) return { keep: false, rule: `keeplatest: ${policy.keepLatest} (this tag is number ${rank} by push time)` };
  if (policy.deleteOlderThanMs !== undefined && age > policy.deleteOlderThanMs) {
    return { keep: false, rule: `deleteolderthan: ${formatAge(policy.deleteOlderThanMs)} (pushed ${formatAge(age)} ago)` };
  }
  return { keep: true, rule: 'no rule deletes it' };
}

/** 1209600000 → "14d", 5400000 → "1h30m", 2500 → "2s". */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d > 0 ? `${d}d` : '', h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', d === 0 && h === 0 && (s % 60 > 0 || m === 0) ? `${s % 60}s` : ''];
  return parts.join('');
}
