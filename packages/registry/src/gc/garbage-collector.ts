// Online garbage collection with retention: scan, decide, mark, announce, re-check, sweep.
//  1. Scan every repository's links and every blob (store-inventory.ts).
//  2. Retention: per repository, the governing policy decides each tag (retention-rules.ts).
//  3. Mark from the kept tags, from every revision younger than the grace period (or every revision where
//     untagged manifests are kept), from layer links younger than the grace period (a push under way), through
//     index children and referrers (reachability.ts).
//  4. Candidates: tags retention deletes, unmarked revisions, unmarked blobs older than the grace period.
//  5. Write the sweep intent (sweep-intent.ts), then scan again: whatever a writer linked meanwhile is marked
//     and spared. Writers that link after the intent see it and fail cleanly.
//  6. Delete, re-checking each object's time just before; clear the intent; release the lock.
import { writeGcLastRun } from './gc-last-run.js';
import type { Logger } from '@private-registry/core';
import { parseDigest } from '../oci/digest.js';
import { parseSchema1Layers } from '../oci/schema1-manifest.js';
import type { CachedManifest } from '../services/manifest-cache.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { deleteIfPresent, readLink } from '../services/link-files.js';
import type { RegistryServices } from '../services/registry-services.js';
import type { GcConfig, GcEtcdConfig, RetentionPolicy } from '../config/registry-config.js';
import { repositoryMatcher } from '../auth/repository-matcher.js';
import { silentProgress, type ProgressReport } from '../maintenance/progress-report.js';
import { forEachLimited, scanBlobs, scanRepositories, type RepositoryInventory, type TagEntry } from './store-inventory.js';
import { decideTags, policyFor, type TagDecision } from './retention-rules.js';
import { markRepository, type Marks } from './reachability.js';
import { SweepIntent, sweptTagKey } from './sweep-intent.js';
import type { SweepLock } from './gc-lock.js';
import { sweepLockFor } from './sweep-lock.js';
import { readPullTime } from './pull-recorder.js';

/** Deletions in flight at once: the store's latency, not the CPU, bounds a sweep. */
const SWEEP_CONCURRENCY = 8;

export interface GcRunOptions {
  dryRun: boolean;
  /** Manifests no tag reaches are deleted in repositories no retention policy governs. */
  deleteUntagged: boolean;
  gracePeriodMs: number;
  retention: readonly RetentionPolicy[];
  /** Only tags and manifests of matching repositories are deleted (blobs are shared: all repositories are marked). */
  repository?: string;
  lockExpiryMs: number;
  /** Take the sweep lock in etcd instead of the store. */
  etcd?: GcEtcdConfig;
  progress?: ProgressReport;
  /** Called with each planned deletion (dry runs list them all). */
  onDecision?: (decision: GcDecision) => void;
}

export type GcDecision =
  | { kind: 'tag'; repository: string; tag: string; digest: string; rule: string }
  | { kind: 'manifest'; repository: string; digest: string; rule: string }
  | { kind: 'blob'; digest: string; size: number; rule: string };

export interface GcSummary {
  dryRun: boolean;
  repositories: number;
  tagsScanned: number;
  manifestsScanned: number;
  blobsScanned: number;
  tagsDeleted: number;
  manifestsDeleted: number;
  blobsDeleted: number;
  bytesFreed: number;
  /** Candidates a writer linked during the sweep (spared). */
  spared: number;
  blobsKept: number;
  /** Bytes of every blob in the store when the run scanned it (before its sweep). */
  bytesStored: number;
  durationMs: number;
}

interface Plan {
  tags: { repository: string; tag: TagEntry; rule: string }[];
  manifests: { repository: string; digest: string; modTime: number; subject?: string }[];
  blobs: Map<string, { size: number; modTime: number; linkedIn: string[] }>;
  marks: Marks;
  summary: GcSummary;
}

export function gcOptionsOf(config: GcConfig, overrides: Partial<GcRunOptions> = {}): GcRunOptions {
  return {
    dryRun: config.dryRun,
    deleteUntagged: config.deleteUntagged,
    gracePeriodMs: config.gracePeriodMs,
    retention: config.retention,
    lockExpiryMs: config.lockExpiryMs,
    ...(config.etcd === undefined ? {} : { etcd: config.etcd }),
    ...overrides,
  };
}

export class GarbageCollector {
  constructor(
    private readonly driver: StorageDriver,
    private readonly services: RegistryServices,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** One collection. Throws GcLockBusyError when another sweep holds the lock. */
  async run(options: GcRunOptions): Promise<GcSummary> {
    const started = this.now();
    const lock = options.dryRun ? undefined : await sweepLockFor(this.driver, { lockExpiryMs: options.lockExpiryMs, etcd: options.etcd }, this.now);
    await lock?.acquire();
    try {
      const plan = await this.plan(options, started);
      if (!options.dryRun && lock) await this.sweep(plan, options, started, lock);
      plan.summary.durationMs = this.now() - started;
      if (!options.dryRun) {
        await writeGcLastRun(this.driver, { result: 'ok', finishedAt: new Date(this.now()).toISOString(), summary: plan.summary }).catch((err: unknown) =>
          this.log.warn({ err }, 'the record of this gc run was not written (the status page shows the previous one)'),
        );
      }
      return plan.summary;
    } finally {
      options.progress?.stop();
      await lock?.release().catch((err: unknown) => this.log.warn({ err }, 'gc lock release failed (it expires by itself)'));
    }
  }

  private async plan(options: GcRunOptions, started: number): Promise<Plan> {
    const progress = options.progress ?? silentProgress;
    const graceLimit = started - options.gracePeriodMs;
    progress.phase('scan repos', 0);
    const repositories = await scanRepositories(this.driver, () => progress.advance());
    progress.phase('scan blobs', 0);
    const blobs = await scanBlobs(this.driver, () => progress.advance());
    const inScope = options.repository === undefined ? () => true : repositoryMatcher(options.repository);
    const summary: GcSummary = {
      dryRun: options.dryRun,
      repositories: repositories.size,
      tagsScanned: 0,
      manifestsScanned: 0,
      blobsScanned: blobs.size,
      tagsDeleted: 0,
      manifestsDeleted: 0,
      blobsDeleted: 0,
      bytesFreed: 0,
      spared: 0,
      blobsKept: 0,
      bytesStored: 0,
      durationMs: 0,
    };
    const marks: Marks = { blobs: new Set() };
    const plan: Plan = { tags: [], manifests: [], blobs: new Map(), marks, summary };
    progress.phase('mark', repositories.size);
    for (const repo of repositories.values()) {
      summary.tagsScanned += repo.tags.size;
      summary.manifestsScanned += repo.revisions.size;
      await this.planRepository(repo, inScope(repo.name), options, graceLimit, started, plan);
      progress.advance();
    }
    const linkedIn = new Map<string, string[]>();
    for (const repo of repositories.values()) {
      for (const [digest, link] of repo.layers) {
        if (link.modTime > graceLimit) marks.blobs.add(digest); // a push under way links before it PUTs the manifest
        let list = linkedIn.get(digest);
        if (list === undefined) linkedIn.set(digest, (list = []));
        list.push(repo.name);
      }
    }
    for (const [digest, blob] of blobs) {
      summary.bytesStored += blob.size;
      if (marks.blobs.has(digest) || blob.modTime > graceLimit) continue;
      plan.blobs.set(digest, { size: blob.size, modTime: blob.modTime, linkedIn: linkedIn.get(digest) ?? [] });
    }
    summary.blobsKept = blobs.size - plan.blobs.size;
    for (const [digest, blob] of plan.blobs) options.onDecision?.({ kind: 'blob', digest, size: blob.size, rule: 'referenced by no kept manifest' });
    if (options.dryRun) {
      summary.tagsDeleted = plan.tags.length;
      summary.manifestsDeleted = plan.manifests.length;
      summary.blobsDeleted = plan.blobs.size;
      for (const blob of plan.blobs.values()) summary.bytesFreed += blob.size;
    }
    return plan;
  }

  private async planRepository(repo: RepositoryInventory, inScope: boolean, options: GcRunOptions, graceLimit: number, now: number, plan: Plan): Promise<void> {
    const policy = inScope ? policyFor(options.retention, repo.name) : undefined;
    const load = (digest: string) => this.loadManifest(digest);
    const revisions = new Set(repo.revisions.keys());
    const tags = [...repo.tags.values()];
    let decisions: TagDecision[] = tags.map((tag) => ({ tag, keep: true, rule: 'no retention policy' }));
    if (policy !== undefined) {
      const pulledAt = async (digest: string) => readPullTime(this.driver, repo.name, digest);
      // A cosign-style tag is kept when the manifest it signs is reached from the other kept tags.
      // Asked once the other tags are decided: marked once from the kept ones, then looked up.
      let reached: Promise<Set<string>> | undefined;
      const isKept = async (digest: string, decided: readonly TagDecision[]) => {
        reached ??= markRepository(decided.filter((d) => d.keep).map((d) => d.tag.digest.value), revisions, load, { blobs: new Set() }, false);
        return (await reached).has(digest);
      };
      decisions = await decideTags(policy, tags, { now, pulledAt }, isKept);
    }
    const untaggedAfterMs = policy !== undefined ? policy.untaggedAfterMs : options.deleteUntagged && inScope ? 0 : undefined;
    const untaggedLimit = untaggedAfterMs === undefined ? undefined : Math.min(graceLimit, now - untaggedAfterMs);
    const roots: string[] = [];
    for (const decision of decisions) {
      if (decision.keep) roots.push(decision.tag.digest.value);
      else {
        plan.tags.push({ repository: repo.name, tag: decision.tag, rule: decision.rule });
        options.onDecision?.({ kind: 'tag', repository: repo.name, tag: decision.tag.tag, digest: decision.tag.digest.value, rule: decision.rule });
      }
    }
    for (const [digest, link] of repo.revisions) if (untaggedLimit === undefined || link.modTime > untaggedLimit) roots.push(digest);
    const reached = await markRepository(roots, revisions, load, plan.marks, policy?.keepReferrers ?? true);
    for (const [digest, link] of repo.revisions) {
      if (reached.has(digest)) continue;
      const subject = (await load(digest).catch(() => null))?.parsed.subject?.digest.value;
      plan.manifests.push({ repository: repo.name, digest, modTime: link.modTime, ...(subject ? { subject } : {}) });
      const rule = policy !== undefined ? `untaggedafter: no kept tag reaches it (policy ${policy.repositories.join(', ')})` : 'untagged (--delete-untagged)';
      options.onDecision?.({ kind: 'manifest', repository: repo.name, digest, rule });
    }
  }

  private async sweep(plan: Plan, options: GcRunOptions, started: number, lock: SweepLock): Promise<void> {
    const progress = options.progress ?? silentProgress;
    const graceLimit = started - options.gracePeriodMs;
    const doomed = [...plan.blobs.keys(), ...plan.manifests.map((m) => m.digest), ...plan.tags.map((t) => sweptTagKey(t.repository, t.tag.tag))];
    if (plan.tags.length === 0 && doomed.length === 0) return;
    const intent = new SweepIntent(this.driver, doomed);
    await intent.write(lock.expiresAt);
    try {
      await this.spareNewlyLinked(plan, graceLimit);
      progress.phase('sweep', plan.tags.length + plan.manifests.length + plan.blobs.size);
      for (const { repository, tag } of plan.tags) {
        await lock.check();
        await intent.refresh(lock.expiresAt);
        // A push of this tag writes it, then waits while the intent names it, then writes it again.
        const path = pathFor({ kind: 'tagCurrentLink', name: repository, tag: tag.tag });
        const now = await this.linkState(path);
        if (now !== undefined && now.digest === tag.digest.value && now.modTime <= graceLimit) {
          if (await deleteIfPresent(this.driver, pathFor({ kind: 'tag', name: repository, tag: tag.tag }))) plan.summary.tagsDeleted += 1;
        } else if (now !== undefined) plan.summary.spared += 1;
        intent.done(sweptTagKey(repository, tag.tag));
        progress.advance();
      }
      let sinceCheck = 0;
      await forEachLimited(plan.manifests, SWEEP_CONCURRENCY, async (manifest) => {
        if (sinceCheck++ % 100 === 0) await lock.check();
        await intent.refresh(lock.expiresAt);
        const digest = parseDigest(manifest.digest);
        const now = await this.linkState(pathFor({ kind: 'manifestRevisionLink', name: manifest.repository, digest }));
        if (now === undefined) {
          intent.done(manifest.digest);
          return;
        }
        if (now.modTime > graceLimit) {
          // Pushed again meanwhile: it stays, and so does everything it references.
          plan.summary.spared += 1;
          intent.done(manifest.digest);
          const kept: Marks = { blobs: new Set() };
          await markRepository([manifest.digest], new Set(), (d) => this.services.manifests.load(parseDigest(d)), kept, false);
          for (const blob of kept.blobs) if (plan.blobs.delete(blob)) intent.done(blob);
          return;
        }
        if (manifest.subject) await deleteIfPresent(this.driver, pathFor({ kind: 'referrerDir', name: manifest.repository, subject: parseDigest(manifest.subject), digest }));
        await deleteIfPresent(this.driver, pathFor({ kind: 'pullRecord', name: manifest.repository, digest }));
        await deleteIfPresent(this.driver, pathFor({ kind: 'mirrorAccess', name: manifest.repository, digest }));
        if (await deleteIfPresent(this.driver, pathFor({ kind: 'manifestRevision', name: manifest.repository, digest }))) plan.summary.manifestsDeleted += 1;
        intent.done(manifest.digest);
        progress.advance();
      });
      await forEachLimited([...plan.blobs], SWEEP_CONCURRENCY, async ([value, blob]) => {
        if (sinceCheck++ % 100 === 0) await lock.check();
        await intent.refresh(lock.expiresAt);
        const outcome = await this.sweepBlob(value, blob, graceLimit);
        // Taken off the intent only now: a writer waiting for this digest looks again once the intent is rewritten.
        intent.done(value);
        if (outcome === 'spared') plan.summary.spared += 1;
        if (outcome === 'deleted') {
          plan.summary.blobsDeleted += 1;
          plan.summary.bytesFreed += blob.size;
        }
        progress.advance(1, blob.size);
      });
      await intent.refresh(lock.expiresAt, 0);
    } finally {
      await intent.clear();
    }
  }

  /** Deletes one blob and its layer links unless its data or a link to it was written since the scan. */
  private async sweepBlob(value: string, blob: { linkedIn: string[] }, graceLimit: number): Promise<'deleted' | 'spared' | 'gone'> {
    const digest = parseDigest(value);
    const data = await this.modTime(pathFor({ kind: 'blobData', digest }));
    if (data === undefined) return 'gone';
    if (data > graceLimit) return 'spared';
    for (const name of blob.linkedIn) {
      const link = await this.modTime(pathFor({ kind: 'layerLink', name, digest }));
      if (link !== undefined && link > graceLimit) return 'spared';
    }
    for (const name of blob.linkedIn) await deleteIfPresent(this.driver, pathFor({ kind: 'layerDir', name, digest }));
    return (await deleteIfPresent(this.driver, pathFor({ kind: 'blobDir', digest }))) ? 'deleted' : 'gone';
  }

  /** A manifest to mark from: one this registry parses, or a schema 1 manifest of older registry:2 data (its layers). */
  private async loadManifest(digest: string): Promise<CachedManifest | null> {
    const parsedDigest = parseDigest(digest);
    try {
      return await this.services.manifests.load(parsedDigest);
    } catch (err) {
      const content = await this.driver.getContent(pathFor({ kind: 'blobData', digest: parsedDigest })).catch(() => undefined);
      const parsed = content === undefined ? undefined : parseSchema1Layers(content);
      if (content === undefined || parsed === undefined) throw err;
      return { content, mediaType: parsed.mediaType, parsed };
    }
  }

  /** The second scan, after the intent is visible: links written since the first are roots now. */
  private async spareNewlyLinked(plan: Plan, graceLimit: number): Promise<void> {
    const repositories = await scanRepositories(this.driver);
    const load = (digest: string) => this.loadManifest(digest);
    const marks: Marks = { blobs: new Set() };
    const reachedRevisions = new Set<string>();
    for (const repo of repositories.values()) {
      const roots: string[] = [];
      for (const [digest, link] of repo.revisions) if (link.modTime > graceLimit) roots.push(digest);
      for (const tag of repo.tags.values()) if (tag.modTime > graceLimit) roots.push(tag.digest.value);
      for (const [digest, link] of repo.layers) if (link.modTime > graceLimit) marks.blobs.add(digest);
      if (roots.length === 0) continue;
      const reached = await markRepository(roots, new Set(repo.revisions.keys()), load, marks, true);
      for (const digest of reached) reachedRevisions.add(`${repo.name}@${digest}`);
    }
    const before = plan.manifests.length + plan.blobs.size;
    plan.manifests = plan.manifests.filter((m) => !reachedRevisions.has(`${m.repository}@${m.digest}`) && !marks.blobs.has(m.digest));
    for (const digest of marks.blobs) plan.blobs.delete(digest);
    plan.summary.spared += before - (plan.manifests.length + plan.blobs.size);
  }

  private async linkState(path: string): Promise<{ digest: string; modTime: number } | undefined> {
    const modTime = await this.modTime(path);
    if (modTime === undefined) return undefined;
    const digest = await readLink(this.driver, path);
    return digest === null ? undefined : { digest: digest.value, modTime };
  }

  private async modTime(path: string): Promise<number | undefined> {
    try {
      return (await this.driver.stat(path)).modTime.getTime();
    } catch (err) {
      if (isPathNotFound(err)) return undefined;
      throw err;
    }
  }
}
