// Request counts, latencies and bytes by route (the route table's endpoint name, never the raw path, so the
// number of series stays bounded), and the uploads being streamed in right now.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type RequestLabels = 'route' | 'method' | 'status';

/** From a health probe (1 ms) to a multi-GiB layer push (minutes). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * One (route, method, status) series, found once and kept. Its count is a plain number the requests counter
 * reads when scraped: on the hot path one prom-client call (the histogram) is left, not four.
 */
interface RequestSeries {
  readonly labels: readonly [string, string, string];
  count: number;
  duration: Histogram.Internal<RequestLabels>;
}

interface ByteSeries {
  received: number;
  sent: number;
}

export class HttpMetrics {
  private readonly duration: Histogram<RequestLabels>;
  private readonly uploads: Gauge;
  /** route → method → status → series. */
  private readonly series = new Map<string, Map<string, Map<number, RequestSeries>>>();
  private readonly allSeries: RequestSeries[] = [];
  private readonly bytes = new Map<string, ByteSeries>();

  constructor(registry: Registry) {
    const registers = [registry];
    const allSeries = this.allSeries;
    const bytes = this.bytes;
    new Counter({
      name: 'registry_http_requests_total',
      help: 'HTTP requests answered, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      registers,
      collect() {
        this.reset();
        for (const series of allSeries) this.labels(...series.labels).inc(series.count);
      },
    });
    this.duration = new Histogram({
      name: 'registry_http_request_duration_seconds',
      help: 'Time from the request to the end of its response, by route, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Counter({
      name: 'registry_http_received_bytes_total',
      help: 'Bytes read from clients (request line, headers and body), by route.',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const [route, counted] of bytes) this.labels(route).inc(counted.received);
      },
    });
    new Counter({
      name: 'registry_http_sent_bytes_total',
      help: 'Bytes written to clients (status line, headers and body), by route.',
      labelNames: ['route'],
      registers,
      collect() {
        this.reset();
        for (const [route, counted] of bytes) this.labels(route).inc(counted.sent);
      },
    });
    this.uploads = new Gauge({ name: 'registry_uploads_in_progress', help: 'Blob upload requests whose body is being received right now.', registers });
  }

  /** One finished (or aborted) request. */
  observe(route: string, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void {
    const series = this.seriesFor(route, method, status);
    series.count++;
    series.duration.observe(seconds);
    let counted = this.bytes.get(route);
    if (counted === undefined) this.bytes.set(route, (counted = { received: 0, sent: 0 }));
    counted.received += bytesIn;
    counted.sent += bytesOut;
  }

  uploadStarted(): void {
    this.uploads.inc();
  }

  uploadEnded(): void {
    this.uploads.dec();
  }

  private seriesFor(route: string, method: string, status: number): RequestSeries {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      const code = String(status);
      series = { labels: [route, method, code], count: 0, duration: this.duration.labels(route, method, code) };
      byStatus.set(status, series);
      this.allSeries.push(series);
    }
    return series;
  }
}
