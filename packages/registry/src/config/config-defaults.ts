// Every default in one place. Where ours differs from distribution's, the comment says why.

import { availableParallelism } from 'node:os';
export const CONFIG_VERSION = '0.1';
/** What `source` says when no file was read. */
export const DEFAULTS_SOURCE = 'defaults';

/** Distribution's images listen on ":5000"; with no configuration at all we say where, explicitly. */
export const DEFAULT_HTTP_ADDR = '0.0.0.0:5000';
/** Distribution uses 0 (stop at once); we drain for a while so rolling restarts do not cut pushes. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** http.workers: more processes than this only add memory. */
export const MAX_WORKERS = 256;

/** http.workers when not given: one process per core (os.availableParallelism honours CPU affinity). */
export function defaultWorkers(): number {
  return Math.min(MAX_WORKERS, Math.max(1, availableParallelism()));
}
export const DEFAULT_MINIMUM_TLS = 'tls1.2';
export const DEFAULT_CLIENT_AUTH = 'require-and-verify-client-cert';
export const DEFAULT_PROMETHEUS_PATH = '/metrics';

export const DEFAULT_LOG_LEVEL = 'info';
/** Distribution's default is "text"; our logger writes JSON lines. */
export const DEFAULT_LOG_FORMATTER = 'json';

export const DEFAULT_STORAGE_DRIVER = 'filesystem';
// The default filesystem root directory is a rule, not a constant: see default-root.ts.
export const DEFAULT_MAX_THREADS = 100;
/** Distribution raises smaller maxthreads values to this. */
export const MIN_MAX_THREADS = 25;

export const DEFAULT_UPLOAD_PURGING = { enabled: true, ageMs: 168 * 3_600_000, intervalMs: 24 * 3_600_000, dryRun: false } as const;

/** storage.gc: off unless asked for; when on, daily, with an hour's grace for content still being pushed. */
export const DEFAULT_GC = { enabled: false, intervalMs: 24 * 3_600_000, gracePeriodMs: 3_600_000, deleteUntagged: false, dryRun: false, lockExpiryMs: 120_000 } as const;

export const DEFAULT_CATALOG_MAX_ENTRIES = 1000;
export const DEFAULT_TAGS_MAX_TAGS = 1000;

/** Mirror mode: a tag is checked upstream (one HEAD) at most this often; in between it is served from the cache. */
export const DEFAULT_PROXY_TAG_REVALIDATE_MS = 60_000;
/** Blobs a mirror downloads ahead of the client at once (proxy.prefetch). */
export const DEFAULT_PROXY_PREFETCH = 4;
/** The names Docker Hub answers to: dockerd and containerd (`?ns=docker.io`) use the first. */
export const DOCKER_HUB_HOSTS: readonly string[] = ['docker.io', 'registry-1.docker.io', 'index.docker.io', 'registry.hub.docker.com'];
export const DOCKER_HUB_NAME = 'docker.io';
/** Mirror mode: how often cache eviction checks the limits (when `proxy.cache` sets one). */
export const DEFAULT_PROXY_EVICTION_INTERVAL_MS = 10 * 60_000;
/** Mirror mode: how long an upstream may take to start answering before it counts as down. */
export const DEFAULT_PROXY_UPSTREAM_TIMEOUT_MS = 30_000;
/** Where replicas claim mirror downloads in etcd (proxy.etcd.prefix). */
export const DEFAULT_PROXY_ETCD_PREFIX = '/private-registry/mirror/';
