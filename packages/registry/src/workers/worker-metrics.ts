// Metrics under http.workers: each worker counts its own requests in its own registry; the primary, which serves
// the debug listener, asks every worker for theirs at scrape time and adds them up (prom-client's
// AggregatorRegistry: counters and histograms summed, gauges by their `aggregator`), then appends its own
// (the notification queues it holds).
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsScrape } from '../metrics/registry-metrics.js';
import type { MetricsSource } from '../debug-server.js';

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
      const answers = await Promise.all(workers().map((worker) => askWorker(worker, requestId)));
      const aggregated = AggregatorRegistry.aggregate(answers.flat());
      const mine = own === undefined ? '' : await own.metrics();
      return { contentType: aggregated.contentType, body: joinExpositions(await aggregated.metrics(), mine) };
    },
  };
}

/** One registry's metrics as getMetricsAsJSON gives them. */
type MetricsJson = Parameters<typeof AggregatorRegistry.aggregate>[0][number];

function askWorker(worker: Worker, requestId: string): Promise<MetricsJson[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`worker ${worker.process.pid ?? '?'} did not send its metrics within ${SCRAPE_TIMEOUT_MS} ms`));
    }, SCRAPE_TIMEOUT_MS);
    const onMessage = (message: { type?: unknown; requestId?: unknown; metrics?: MetricsJson[]; error?: string }): void => {
      if (message?.type !== RESPONSE || message.requestId !== requestId) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.metrics ?? []);
    };
    worker.on('message', onMessage);
    worker.send({ type: REQUEST, requestId });
  });
}

function joinExpositions(first: string, second: string): string {
  if (second === '') return first;
  if (first === '' || first.endsWith('\n')) return `${first}${second}`;
  return `${first}\n${second}`;
}
