// Per-endpoint notification figures (notifications/endpoint-sink.ts stats), read when Prometheus scrapes.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EndpointStats } from '../notifications/endpoint-sink.js';

type Field = Exclude<keyof EndpointStats, 'pending'>;

const COUNTERS: ReadonlyArray<{ field: Field; name: string; help: string }> = [
  { field: 'events', name: 'registry_notifications_events_total', help: 'Events queued for the endpoint (after its ignore rules).' },
  { field: 'successes', name: 'registry_notifications_successes_total', help: 'Events the endpoint accepted (2xx or 3xx).' },
  { field: 'failures', name: 'registry_notifications_failures_total', help: 'Delivery attempts the endpoint answered with another status.' },
  { field: 'errors', name: 'registry_notifications_errors_total', help: 'Delivery attempts without an answer (refused, reset, timed out).' },
  { field: 'lost', name: 'registry_notifications_lost_total', help: 'Events that could not be written to the queue (disk full, say).' },
];

/** Registers the endpoints' counters and the pending gauge, labelled by endpoint name. */
export function registerNotificationMetrics(registry: Registry, stats: () => Record<string, EndpointStats>): void {
  for (const { field, name, help } of COUNTERS) {
    new Counter({
      name,
      help,
      labelNames: ['endpoint'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [endpoint, figures] of Object.entries(stats())) this.inc({ endpoint }, figures[field]);
      },
    });
  }
  new Gauge({
    name: 'registry_notifications_pending',
    help: 'Events waiting for delivery to the endpoint (on disk or about to be written).',
    labelNames: ['endpoint'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [endpoint, figures] of Object.entries(stats())) this.set({ endpoint }, figures.pending);
    },
  });
}
