// Metrics under http.workers: each worker counts its own requests in its own registry; the primary, which serves
// the debug listener, asks every worker for theirs at scrape time and adds them up (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges by their `aggregator`), then appends its own
// (the notification queues it holds).
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsScrape } from '../metrics/registry-metrics.js';
import type { MetricsSource } from '../debug-server.js';
import { askWorker } from './worker-request.js';

/** In a worker: answer the primary's metric requests from `registry`. */
export function shareMetrics(registry: Registry): void {
  // Constructing one installs prom-client's worker-side listener.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** prom-client's worker-side protocol (lib/cluster.js): a request with an id, answered with the registries as JSON. */
const REQUEST = 'prom-client:getMetricsReq';
const RESPONSE = 'prom-client:getMetricsRes';
const SCRAPE_TIMEOUT_MS = 5_000;

/**
 * In the primary: every serving worker's metrics added up, followed by `own` (families no worker has). Only
 * workers that serve are asked (prom-client's own clusterMetrics asks every forked one, and one still starting
 * has no listener yet: the scrape would time out).
 */
export function clusterMetrics(own: Registry | undefined, workers: () => Worker[]): MetricsSource {
  let nextId = 0;
  return {
    scrape: async (): Promise<MetricsScrape> => {
      const requestId = `registry-${nextId++}`;
      const answers = await Promise.all(workers().map((worker) => workerMetrics(worker, requestId)));
      const aggregated = AggregatorRegistry.aggregate(answers.flat());
      const mine = own === undefined ? '' : await own.metrics();
      return { contentType: aggregated.contentType, body: joinExpositions(await aggregated.metrics(), mine) };
    },
  };
}

/** One registry's metrics as getMetricsAsJSON gives them. */
type MetricsJson = Parameters<typeof AggregatorRegistry.aggregate>[0][number];

/** One worker's registries as JSON; its error, if it sent one, fails the scrape. */
async function workerMetrics(worker: Worker, requestId: string): Promise<MetricsJson[]> {
  const answer = await askWorker(
    worker,
    { type: REQUEST, requestId },
    (message) => {
      const reply = message as { type?: unknown; requestId?: unknown; metrics?: MetricsJson[]; error?: string } | null;
      return reply?.type === RESPONSE && reply.requestId === requestId ? reply : undefined;
    },
    SCRAPE_TIMEOUT_MS,
    'its metrics',
  );
  if (answer.error !== undefined) throw new Error(answer.error);
  return answer.metrics ?? [];
}

function joinExpositions(first: string, second: string): string {
  if (second === '') return first;
  if (first === '' || first.endsWith('\n')) return `${first}${second}`;
  return `${first}\n${second}`;
}
