// The status page's figures, gathered when an admin opens it: the store (and the free space of a filesystem
// root), the last garbage collection as recorded in the store, each mirror upstream asked live, the
// notification queues, the registries announced for discovery.
import { statfs } from 'node:fs/promises';
import type { GcConfig, UpstreamConfig } from '../config/registry-config.js';
import { readGcLastRun } from '../gc/gc-last-run.js';
import type { NotificationBus } from '../notifications/notification-bus.js';
import type { RegistryServices } from '../services/registry-services.js';
import type { StorageReadiness } from '../storage/storage-readiness.js';
import type { StatusView, UpstreamStatus } from './pages/status-page.js';
import type { AnnouncedRegistries } from './announced-registries.js';

export interface StatusSources {
  services: RegistryServices;
  readiness: StorageReadiness;
  /** "filesystem", "s3", "inmemory", and where: the root directory or bucket. */
  storage: { driver: string; where: string; filesystemRoot?: string };
  gc: GcConfig;
  upstreams: readonly UpstreamConfig[];
  notifications?: NotificationBus;
  discovery?: AnnouncedRegistries;
  version: string;
  startedAt: Date;
  workers: number;
}

/** An upstream that does not answer /v2/ within this is shown as not answering. */
const PROBE_TIMEOUT_MS = 2_000;

export async function statusReport(sources: StatusSources): Promise<StatusView> {
  const { services, readiness, storage } = sources;
  const [probe, lastRun, space, upstreams, discovery] = await Promise.all([
    readiness.check(),
    readGcLastRun(services.driver).catch(() => undefined),
    storage.filesystemRoot === undefined ? undefined : statfs(storage.filesystemRoot).catch(() => undefined),
    Promise.all(sources.upstreams.map(probeUpstream)),
    sources.discovery?.list(),
  ]);
  const view: StatusView = {
    version: sources.version,
    startedAt: sources.startedAt,
    uptimeMs: Date.now() - sources.startedAt.getTime(),
    workers: sources.workers,
    storage: {
      driver: storage.driver,
      where: storage.where,
      ready: probe.ok,
      ...(probe.ok ? {} : { reason: probe.reason }),
      ...(space ? { totalBytes: space.blocks * space.bsize, freeBytes: space.bavail * space.bsize } : {}),
    },
    gc: { enabled: sources.gc.enabled, intervalMs: sources.gc.intervalMs, ...(lastRun ? { lastRun } : {}) },
    notifications: Object.entries(sources.notifications?.stats() ?? {}).map(([name, stats]) => ({ name, ...stats })),
    ...(discovery ? { discovery } : {}),
  };
  if (services.mirror !== undefined) view.mirror = { upstreams, stats: services.mirror.stats.snapshot() };
  return view;
}

/** Asks the upstream's /v2/ (no credentials): any answer means it is up, 401 included. */
async function probeUpstream(upstream: UpstreamConfig): Promise<UpstreamStatus> {
  const base = { name: upstream.name, url: upstream.url, prefix: upstream.prefix };
  const started = Date.now();
  try {
    const response = await fetch(`${upstream.url}/v2/`, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.body?.cancel();
    const latencyMs = Date.now() - started;
    const up = response.status < 500;
    const state = response.status === 401 ? 'answering (401: asks for credentials)' : `answering (${response.status})`;
    return { ...base, up, state, latencyMs };
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : describe(err);
    return { ...base, up: false, state: `not answering: ${reason}` };
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return (cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err))).slice(0, 200);
}
