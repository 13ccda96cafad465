// Reads `storage.gc` (ours: online garbage collection in the server) and `retention` (ours: per-repository
// tag retention policies the collector applies) into GcConfig. distribution has neither: its collector is an
// offline command; these keys are documented in docs/configuration.md and docs/operations.md.
import { readRepositoryGlobs } from './repository-globs.js';
import { readEtcdConnection } from './etcd-section.js';
import { parseHumanDuration } from '../auth/human-duration.js';
import { parseGoDuration } from './go-duration.js';
import { DEFAULT_GC } from './config-defaults.js';
import type { ConfigSection } from './config-section.js';
import type { GcConfig, GcEtcdConfig, RetentionPolicy } from './registry-config.js';

const TAG_PATTERN = /^[A-Za-z0-9_.*?[\]-]{1,128}$/;

export function readGc(root: ConfigSection): GcConfig {
  const gc = root.section('storage').section('gc');
  const config: GcConfig = {
    enabled: gc.bool('enabled') ?? DEFAULT_GC.enabled,
    intervalMs: gc.duration('interval') ?? DEFAULT_GC.intervalMs,
    gracePeriodMs: gc.duration('graceperiod') ?? DEFAULT_GC.gracePeriodMs,
    deleteUntagged: gc.bool('deleteuntagged') ?? DEFAULT_GC.deleteUntagged,
    dryRun: gc.bool('dryrun') ?? DEFAULT_GC.dryRun,
    lockExpiryMs: gc.duration('lockexpiry') ?? DEFAULT_GC.lockExpiryMs,
    etcd: readEtcd(gc.section('etcd')),
    retention: readRetention(root),
  };
  if (config.enabled && config.intervalMs <= 0) gc.fail('interval', 'must be greater than zero when gc is enabled');
  if (config.lockExpiryMs < 1000) gc.fail('lockexpiry', 'must be at least 1s (a sweeper renews its lock every third of it)');
  return config;
}

const DEFAULT_LOCK_KEY = '/private-registry/gc/lock';

function readEtcd(etcd: ConfigSection): GcEtcdConfig | undefined {
  if (!etcd.present) return undefined;
  return { ...readEtcdConnection(etcd, 'storage.gc.etcd'), key: etcd.string('key') ?? DEFAULT_LOCK_KEY };
}

function readRetention(root: ConfigSection): RetentionPolicy[] {
  return root.sectionList('retention').map((rule, index) => {
    const repositories = readRepositoryGlobs(rule);
    const keepTags = rule.stringList('keeptags') ?? [];
    for (const pattern of keepTags) if (!TAG_PATTERN.test(pattern)) rule.fail('keeptags', `${JSON.stringify(pattern)} is not a tag pattern (tag characters with * ? [...])`);
    const keepLatest = rule.integer('keeplatest');
    if (keepLatest !== undefined && keepLatest < 0) rule.fail('keeplatest', 'must not be negative');
    const policy: RetentionPolicy = {
      index,
      repositories,
      keepTags,
      keepLatest,
      deleteOlderThanMs: age(rule, 'deleteolderthan'),
      keepPushedWithinMs: age(rule, 'keeppushedwithin'),
      keepPulledWithinMs: age(rule, 'keeppulledwithin'),
      // A policy that deletes tags frees their manifests too unless it says otherwise; one that only keeps, keeps all.
      untaggedAfterMs: age(rule, 'untaggedafter') ?? (keepLatest !== undefined || rule.child('deleteolderthan') !== undefined ? 0 : undefined),
      keepReferrers: rule.bool('keepreferrers') ?? true,
    };
    return policy;
  });
}

/** An age: a Go duration ("336h") or days and weeks ("14d", "2w"), as operators write retention ages. */
function age(rule: ConfigSection, name: string): number | undefined {
  const text = rule.string(name);
  if (text === undefined) return undefined;
  const human = /^\d+[dw]$/i.test(text.trim()) ? parseHumanDuration(text) : undefined;
  const ms = human ?? parseGoDuration(text.trim());
  if (ms === undefined || ms === null || ms < 0) rule.fail(name, `${JSON.stringify(text)} is not an age (e.g. "14d", "2w", "36h")`);
  return ms;
}
