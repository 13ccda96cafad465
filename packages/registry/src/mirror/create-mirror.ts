// Builds mirror mode from the `proxy` configuration: one client per upstream, the router, the shared blob
// downloads and the pull-through service. No upstream configured: undefined, and the registry is a plain one.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@private-registry/core';
import type { ProxyConfig } from '../config/registry-config.js';
import type { RegistryServices } from '../services/registry-services.js';
import { CacheEviction } from './cache-eviction.js';
import { BlobPrefetch } from './blob-prefetch.js';
import { MirrorBlobs } from './mirror-blobs.js';
import { MirrorStats } from './mirror-stats.js';
import { PullLedger } from './pull-ledger.js';
import { PullThrough } from './pull-through.js';
import { RepositoryOrigins } from './repository-origins.js';
import { UpstreamClient } from './upstream-client.js';
import { UpstreamRouter } from './upstream-router.js';
import type { WorkerFlights } from './worker-flights.js';
import type { ReplicaFlights } from './replica-flights.js';

export interface MirrorOptions {
  proxy: ProxyConfig;
  /** Where downloads are spooled while they run; a directory under os.tmpdir() unless told. */
  spoolDir?: string;
  /** The storage path of spoolDir when it lies inside the storage (filesystem driver): commits become renames. */
  spoolStoragePrefix?: string;
  /** False in workers other than worker 0 (http.workers): they neither sweep old spools nor evict. */
  housekeeping?: boolean;
  /** Under http.workers: the primary decides which worker downloads a blob (one download per blob across them). */
  flights?: WorkerFlights;
  /** With proxy.etcd: replicas claim downloads in etcd (one download per blob across them). */
  replicas?: ReplicaFlights;
}

export function createMirror(options: MirrorOptions, services: RegistryServices, log: Logger): PullThrough | undefined {
  if (options.proxy.upstreams.length === 0) return undefined;
  const mirrorLog = log.child({ component: 'mirror' });
  const clients = options.proxy.upstreams.map((upstream) => new UpstreamClient(upstream, { timeoutMs: options.proxy.upstreamTimeoutMs, log: mirrorLog }));
  const origins = new RepositoryOrigins(services.driver);
  const stats = new MirrorStats();
  const blobs = new MirrorBlobs({
    ...(options.spoolStoragePrefix === undefined ? {} : { spoolStoragePrefix: options.spoolStoragePrefix }),
    driver: services.driver,
    uploads: services.uploads,
    blobs: services.blobs,
    origins,
    spoolDir: options.spoolDir ?? join(tmpdir(), `private-registry-spool-${process.pid}`),
    stats,
    log: mirrorLog,
    ...(options.flights === undefined ? {} : { flights: options.flights }),
    ...(options.replicas === undefined ? {} : { replicas: options.replicas }),
  });
  const housekeeping = options.housekeeping ?? true;
  if (housekeeping) blobs.sweepStaleSpools().catch((err: Error) => mirrorLog.warn({ err: err.message }, 'could not sweep the mirror spool directory'));
  const ledger = new PullLedger(services.driver);
  const { cache } = options.proxy;
  mirrorLog.info(
    { upstreams: options.proxy.upstreams.map((u) => ({ name: u.name, url: u.url, prefix: u.prefix, hosts: u.hosts, auth: u.username !== undefined })), cache },
    'mirror mode on',
  );
  const prefetch = new BlobPrefetch({ mirrorBlobs: blobs, blobs: services.blobs, log: mirrorLog, concurrency: options.proxy.prefetch });
  const { flights, replicas } = options;
  const mirror = new PullThrough({
    services,
    router: new UpstreamRouter(clients),
    origins,
    blobs,
    prefetch,
    stats,
    ledger,
    log: mirrorLog,
    tagRevalidateMs: options.proxy.tagRevalidateMs,
    ...(flights === undefined ? {} : { announceTagCheck: (key: string, at: number) => flights.announceTagCheck(key, at) }),
  });
  if (flights !== undefined) {
    flights.onTagChecked = (key, at) => mirror.tagChecked(key, at);
    flights.onPushed = (name) => origins.pushedElsewhere(name);
    origins.onPushed = (name) => flights.announcePushed(name);
  }
  const stopEviction =
    housekeeping && (cache.maxBytes !== undefined || cache.maxIdleMs !== undefined)
      ? scheduleEviction(new CacheEviction({ driver: services.driver, services, origins, ledger, limits: cache, log: mirrorLog }), cache.intervalMs, mirrorLog)
      : undefined;
  mirror.stopMaintenance = () => {
    stopEviction?.();
    flights?.close();
    replicas?.close();
  };
  return mirror;
}

/** Runs eviction every `intervalMs` (never two at once); returns the stop function. */
function scheduleEviction(eviction: CacheEviction, intervalMs: number, log: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    eviction
      .run()
      .catch((err: Error) => log.error({ err: err.message }, 'mirror cache eviction failed'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
