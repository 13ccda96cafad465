// The pull-through cache's counters (mirror/mirror-stats.ts), read when Prometheus scrapes: the mirror's
// hot path keeps adding to plain numbers and never calls prom-client.
import { Counter, type Registry } from 'prom-client';
import type { MirrorStats } from '../mirror/mirror-stats.js';

type MirrorCounter = Exclude<keyof MirrorStats, 'snapshot'>;

const COUNTERS: ReadonlyArray<{ field: MirrorCounter; name: string; help: string }> = [
  { field: 'hits', name: 'registry_mirror_hits_total', help: 'Mirror requests answered from the cache without asking upstream.' },
  { field: 'misses', name: 'registry_mirror_misses_total', help: 'Mirror requests that went upstream (one per transfer or manifest fetch).' },
  { field: 'coalesced', name: 'registry_mirror_coalesced_total', help: 'Mirror requests that joined a transfer already under way instead of going upstream.' },
  { field: 'revalidations', name: 'registry_mirror_revalidations_total', help: 'Tag checks (HEAD) the mirror sent upstream.' },
  { field: 'staleServed', name: 'registry_mirror_stale_served_total', help: 'Answers served from the cache because the upstream was down, slow or refusing.' },
  { field: 'upstreamBytes', name: 'registry_mirror_upstream_bytes_total', help: 'Body bytes the mirror received from upstream registries.' },
  { field: 'replicaWaits', name: 'registry_mirror_replica_waits_total', help: 'Mirror requests for a blob another replica was downloading, served from the store once it was stored (proxy.etcd).' },
  { field: 'prefetched', name: 'registry_mirror_prefetched_total', help: 'Blob downloads the mirror started ahead of the client, from a manifest it fetched.' },
];

/** Registers the mirror's counters; each reads its figure from `stats` at scrape time. */
export function registerMirrorMetrics(registry: Registry, stats: MirrorStats): void {
  for (const { field, name, help } of COUNTERS) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // The stats only grow: the counter is set to their current figure.
        this.reset();
        this.inc(stats[field]);
      },
    });
  }
}
