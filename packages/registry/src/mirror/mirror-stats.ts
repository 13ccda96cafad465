// Counters of what the mirror did, for logs, /debug/vars and the metrics (metrics/mirror-metrics.ts reads them at scrape time).

export class MirrorStats {
  /** Requests answered from the cache without asking upstream. */
  hits = 0;
  /** Requests that had to go upstream (one per upstream transfer or manifest fetch). */
  misses = 0;
  /** Requests that joined a transfer already under way instead of going upstream. */
  coalesced = 0;
  /** Tag checks (HEAD) sent upstream. */
  revalidations = 0;
  /** Answers served from the cache because the upstream was down, slow or refusing. */
  staleServed = 0;
  /** Body bytes received from upstreams. */
  upstreamBytes = 0;
  /** Blob downloads started ahead of the client, from a manifest it fetched (blob-prefetch.ts). */
  prefetched = 0;
  /** Requests for a blob another replica was downloading (proxy.etcd): served from the store once it was stored. */
  replicaWaits = 0;

  snapshot(): Record<string, number> {
    return {
      hits: this.hits,
      misses: this.misses,
      coalesced: this.coalesced,
      revalidations: this.revalidations,
      staleServed: this.staleServed,
      upstreamBytes: this.upstreamBytes,
      prefetched: this.prefetched,
      replicaWaits: this.replicaWaits,
    };
  }
}
