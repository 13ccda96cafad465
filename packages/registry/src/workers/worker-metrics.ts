// Metrics under http.workers: each worker counts its own requests in its own registry; the primary, which serves
// the debug listener, asks every worker for theirs at scrape time and adds them up (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges by their `aggregator`), then appends its own
// (the notification queues it holds).
import { AggregatorRegistry, Registry } from 'prom-client';
import type { MetricsScrape } from '../metrics/registry-metrics.js';
import type { MetricsSource } from '../debug-server.js';

/** In a worker: answer the primary's metric requests from `registry`. */
export function shareMetrics(registry: Registry): void {
  // Constructing one installs prom-client's worker-side listener.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** In the primary: every worker's metrics added up, followed by `own` (families no worker has). */
export function clusterMetrics(own: Registry | undefined): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return {
    scrape: async (): Promise<MetricsScrape> => {
      const workers = await aggregator.clusterMetrics();
      const mine = own === undefined ? '' : await own.metrics();
      return { contentType: aggregator.contentType, body: joinExpositions(workers, mine) };
    },
  };
}

function joinExpositions(first: string, second: string): string {
  if (second === '') return first;
  if (first === '' || first.endsWith('\n')) return `${first}${second}`;
  return `${first}\n${second}`;
}
