// Storage driver latencies and failures by driver and operation, fed by storage/instrumented-driver.ts.
import { Counter, Histogram, type Registry } from 'prom-client';

/** The driver operations measured (writer.* are the writer's own calls; its writes are not timed one by one). */
export type StorageOperation =
  | 'getContent'
  | 'putContent'
  | 'reader'
  | 'writer'
  | 'writer.commit'
  | 'writer.close'
  | 'writer.cancel'
  | 'stat'
  | 'list'
  | 'move'
  | 'delete'
  | 'redirectUrl'
  | 'walk'
  | 'purgeIncompleteWrites';

/** From a cached local stat (0.1 ms) to a slow S3 multipart commit (tens of seconds). */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface OperationSeries {
  latency: Histogram.Internal<'driver' | 'operation'>;
  errors: Counter.Internal;
}

/** What the instrumenting driver reports to; an interface so the driver never imports prom-client. */
export interface StorageObserver {
  /** One operation finished in `seconds`; `failed` when it threw anything but "path not found". */
  observe(driver: string, operation: StorageOperation, seconds: number, failed: boolean): void;
}

export class StorageMetrics implements StorageObserver {
  private readonly latency: Histogram<'driver' | 'operation'>;
  private readonly errors: Counter<'driver' | 'operation'>;
  private readonly series = new Map<string, Map<StorageOperation, OperationSeries>>();

  constructor(registry: Registry) {
    this.latency = new Histogram({
      name: 'registry_storage_operation_duration_seconds',
      help: 'Storage driver operation latency (failures included), by driver and operation.',
      labelNames: ['driver', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'registry_storage_errors_total',
      help: 'Storage driver operations that failed (a missing path is an answer, not a failure), by driver and operation.',
      labelNames: ['driver', 'operation'],
      registers: [registry],
    });
  }

  observe(driver: string, operation: StorageOperation, seconds: number, failed: boolean): void {
    let byOperation = this.series.get(driver);
    if (byOperation === undefined) this.series.set(driver, (byOperation = new Map()));
    let series = byOperation.get(operation);
    if (series === undefined) {
      series = { latency: this.latency.labels(driver, operation), errors: this.errors.labels(driver, operation) };
      byOperation.set(operation, series);
    }
    series.latency.observe(seconds);
    if (failed) series.errors.inc();
  }
}
