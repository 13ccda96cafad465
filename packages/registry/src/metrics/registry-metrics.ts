// Every metric of one registry process, in its own prom-client Registry (never the global default, so
// several registries can run in one process, as the tests do). Imported only when the debug listener is on:
// without it nothing reads metrics, and an open registry never loads prom-client.
import { registerNotificationMetrics } from './notification-metrics.js';
import type { EndpointStats } from '../notifications/endpoint-sink.js';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { MirrorStats } from '../mirror/mirror-stats.js';
import { AuthMetrics, type AuthFailureReason } from './auth-metrics.js';
import { GcMetrics, type GcRunSummary } from './gc-metrics.js';
import { HttpMetrics } from './http-metrics.js';
import { registerMirrorMetrics } from './mirror-metrics.js';
import { StorageMetrics } from './storage-metrics.js';

export interface RegistryMetricsOptions {
  /** The registry's version, for registry_build_info. */
  version: string;
  /** Node's process_* and nodejs_* metrics (default true). */
  processMetrics?: boolean;
}

/** A rendered scrape: the body and its Content-Type. */
export interface MetricsScrape {
  contentType: string;
  body: string;
}

export class RegistryMetrics {
  readonly registry = new Registry();
  readonly http: HttpMetrics;
  readonly storage: StorageMetrics;
  readonly auth: AuthMetrics;
  private readonly gc: GcMetrics;

  constructor(options: RegistryMetricsOptions) {
    this.http = new HttpMetrics(this.registry);
    this.storage = new StorageMetrics(this.registry);
    this.auth = new AuthMetrics(this.registry);
    this.gc = new GcMetrics(this.registry);
    const buildInfo = new Gauge({ name: 'registry_build_info', help: 'Always 1; its labels name the running version.', labelNames: ['version'], registers: [this.registry], aggregator: 'max' });
    buildInfo.labels(options.version).set(1);
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one garbage collection run (called by whoever ran it: the scheduler or an admin request). */
  recordGcRun(summary: GcRunSummary): void {
    this.gc.record(summary);
  }

  /** Counts one refused request (auth/access-gate.ts). */
  authFailed(reason: AuthFailureReason): void {
    this.auth.failed(reason);
  }

  /** Exposes the pull-through cache's counters (read at scrape time). */
  watchMirror(stats: MirrorStats): void {
    registerMirrorMetrics(this.registry, stats);
  }

  /** Exposes the notification endpoints' figures (read at scrape time). */
  watchNotifications(stats: () => Record<string, EndpointStats>): void {
    registerNotificationMetrics(this.registry, stats);
  }

  /** The text exposition format (Prometheus 0.0.4). */
  async scrape(): Promise<MetricsScrape> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

export type { GcRunSummary } from './gc-metrics.js';
export type { AuthFailureReason } from './auth-metrics.js';
