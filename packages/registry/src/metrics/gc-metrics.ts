// Garbage collection runs: what each run did and when the last one ended. The gc service does not import
// prom-client: whoever runs it hands its summary to recordGcRun.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What one garbage collection run did, as its runner reports it. */
export interface GcRunSummary {
  result: 'ok' | 'failed';
  blobsDeleted: number;
  manifestsDeleted: number;
  tagsDeleted: number;
  bytesFreed: number;
  durationMs: number;
}

/** A run takes from under a second (a small store) to an hour (a large bucket). */
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200];

export class GcMetrics {
  private readonly runs: Counter<'result'>;
  private readonly deleted: Counter<'kind'>;
  private readonly freed: Counter;
  private readonly duration: Histogram;
  private readonly lastRun: Gauge;
  private readonly lastSuccess: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.runs = new Counter({ name: 'registry_gc_runs_total', help: 'Garbage collection runs, by result (ok, failed).', labelNames: ['result'], registers });
    this.deleted = new Counter({ name: 'registry_gc_deleted_objects_total', help: 'Objects garbage collection deleted, by kind (blob, manifest, tag).', labelNames: ['kind'], registers });
    this.freed = new Counter({ name: 'registry_gc_freed_bytes_total', help: 'Bytes of blob data garbage collection deleted.', registers });
    this.duration = new Histogram({ name: 'registry_gc_duration_seconds', help: 'How long garbage collection runs took.', buckets: DURATION_BUCKETS, registers });
    this.lastRun = new Gauge({ name: 'registry_gc_last_run_timestamp_seconds', help: 'When the last garbage collection run ended (Unix time), whatever its result.', registers, aggregator: 'max' });
    this.lastSuccess = new Gauge({ name: 'registry_gc_last_success_timestamp_seconds', help: 'When the last successful garbage collection run ended (Unix time).', registers, aggregator: 'max' });
    // Series that exist from the start, so rate() and absent-alerts work before the first run.
    for (const result of ['ok', 'failed']) this.runs.labels(result).inc(0);
    for (const kind of ['blob', 'manifest', 'tag']) this.deleted.labels(kind).inc(0);
  }

  record(summary: GcRunSummary, endedAt: Date = new Date()): void {
    this.runs.labels(summary.result).inc();
    // A failed run may have deleted some before it stopped: those are gone all the same.
    this.deleted.labels('blob').inc(nonNegative(summary.blobsDeleted));
    this.deleted.labels('manifest').inc(nonNegative(summary.manifestsDeleted));
    this.deleted.labels('tag').inc(nonNegative(summary.tagsDeleted));
    this.freed.inc(nonNegative(summary.bytesFreed));
    this.duration.observe(nonNegative(summary.durationMs) / 1000);
    const seconds = endedAt.getTime() / 1000;
    this.lastRun.set(seconds);
    if (summary.result === 'ok') this.lastSuccess.set(seconds);
  }
}

/** prom-client throws on a negative counter increment; a runner's bad figure must not break its caller. */
function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}
