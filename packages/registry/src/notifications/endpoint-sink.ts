// One webhook endpoint: events are written to its disk queue (group commit: whatever arrived while the
// previous batch was being fsync'd goes in the next one) and POSTed one per envelope, in queue order, by
// a single delivery loop. An event leaves the queue only after a 2xx or 3xx answer (distribution's rule);
// after `threshold` consecutive failures every retry first waits `backoff` (distribution's breaker).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@private-registry/core';
import type { NotificationEndpointConfig } from '../config/registry-config.js';
import { redactUrlPassword } from '../config/effective-config.js';
import { DiskQueue } from './disk-queue.js';
import { EVENTS_MEDIA_TYPE, envelopeBody } from './notification-event.js';

/** Counters for one endpoint (distribution's endpoint metrics), read by the metrics module. */
export interface EndpointStats {
  /** Events accepted for this endpoint since the start (after its ignore rules). */
  events: number;
  /** Events delivered (2xx/3xx answer). */
  successes: number;
  /** Delivery attempts answered with another status. */
  failures: number;
  /** Delivery attempts without an answer (refused, reset, timed out). */
  errors: number;
  /** Events waiting: on disk (including what an earlier process left) and not yet written. */
  pending: number;
  /** Events that could not be written to the queue (disk full, say): past the memory buffer, or still unwritten at close. */
  lost: number;
}

/** How long a failed queue write waits before the next try. */
const WRITE_RETRY_MS = 1_000;
/** Events held in memory while the queue cannot be written (disk full); more are dropped and counted as lost. */
const MAX_UNWRITTEN = 100_000;

export class EndpointSink {
  private readonly counters = { events: 0, successes: 0, failures: 0, errors: 0, lost: 0 };
  private unwritten: string[] = [];
  private flushing: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set when events reach the queue, so a wake-up between peek() and the wait is not missed. */
  private arrived = false;
  private readonly closing = new AbortController();
  private delivery: Promise<void> | undefined;
  private consecutiveFailures = 0;
  private failingSince: number | undefined;
  private readonly target: { url: string; headers: Headers };

  constructor(
    readonly config: NotificationEndpointConfig,
    private readonly queue: DiskQueue,
    private readonly log: Logger,
  ) {
    this.target = requestTarget(config);
  }

  /** Starts the delivery loop (it first sends what an earlier process left in the queue). */
  start(): void {
    this.delivery ??= this.deliverLoop();
  }

  /** Accepts one serialized event; it is on disk shortly after (see flushed()). Never throws, never blocks. */
  enqueue(eventJson: string): void {
    this.counters.events++;
    if (this.unwritten.length >= MAX_UNWRITTEN) {
      if (this.counters.lost++ === 0) this.log.error({ endpoint: this.config.name, queue: this.queue.directory }, 'notification queue not writable and memory buffer full: dropping events');
      return;
    }
    this.unwritten.push(eventJson);
    this.flushing ??= this.flushLoop();
  }

  /** Resolves when every event enqueued so far is on disk (or the sink gave up on them at close). */
  async flushed(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  stats(): EndpointStats {
    return { ...this.counters, pending: this.queue.size + this.unwritten.length };
  }

  /** Stops delivering (an attempt in flight is abandoned and retried by the next start) after writing what is buffered. */
  async close(): Promise<void> {
    this.closing.abort();
    this.wake?.();
    await this.flushed();
    await this.delivery;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.unwritten.length > 0) {
        const batch = this.unwritten;
        this.unwritten = [];
        try {
          await this.queue.append(batch);
          this.arrived = true;
          this.wake?.();
        } catch (err) {
          this.unwritten = [...batch, ...this.unwritten];
          if (this.closing.signal.aborted) {
            this.counters.lost += this.unwritten.length;
            this.log.error({ endpoint: this.config.name, lost: this.unwritten.length, err: (err as Error).message }, 'notification queue not writable at shutdown: events lost');
            this.unwritten = [];
            return;
          }
          this.log.error({ endpoint: this.config.name, queue: this.queue.directory, err: (err as Error).message }, 'cannot write the notification queue: keeping events in memory and retrying');
          await sleep(WRITE_RETRY_MS);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async deliverLoop(): Promise<void> {
    const { signal } = this.closing;
    while (!signal.aborted) {
      let eventJson: string | undefined;
      this.arrived = false;
      try {
        eventJson = await this.queue.peek();
      } catch (err) {
        this.log.error({ endpoint: this.config.name, queue: this.queue.directory, err: (err as Error).message }, 'cannot read the notification queue');
        await this.pause(this.config.backoffMs);
        continue;
      }
      if (eventJson === undefined) {
        if (!this.arrived && !signal.aborted) await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const outcome = await this.post(eventJson);
      if (outcome === 'aborted') break;
      if (outcome === 'delivered') {
        this.counters.successes++;
        this.recovered();
        await this.queue.ack().catch((err: Error) => this.log.error({ endpoint: this.config.name, err: err.message }, 'cannot update the notification queue: the event may be sent again'));
        continue;
      }
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= this.config.threshold) await this.pause(this.config.backoffMs);
    }
  }

  /** One POST; 'delivered' on 2xx/3xx (after redirects), 'failed' otherwise. */
  private async post(eventJson: string): Promise<'delivered' | 'failed' | 'aborted'> {
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.config.timeoutMs)]);
    try {
      const response = await fetch(this.target.url, { method: 'POST', headers: this.target.headers, body: envelopeBody(eventJson), signal });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 400) return 'delivered';
      this.counters.failures++;
      this.failed(`HTTP ${response.status}`);
      return 'failed';
    } catch (err) {
      if (this.closing.signal.aborted) return 'aborted';
      this.counters.errors++;
      this.failed(describeFetchError(err));
      return 'failed';
    }
  }

  /** Logs the first failure of a run (then each retry at debug level only: an hour's outage must not flood the log). */
  private failed(reason: string): void {
    const context = { endpoint: this.config.name, url: redactUrlPassword(this.config.url), reason, pending: this.stats().pending };
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.log.warn(context, 'notification endpoint failing: keeping events queued and retrying');
    } else this.log.debug({ ...context, failures: this.consecutiveFailures + 1 }, 'notification delivery failed');
  }

  private recovered(): void {
    if (this.failingSince !== undefined) {
      this.log.info({ endpoint: this.config.name, failedForMs: Date.now() - this.failingSince, failures: this.consecutiveFailures }, 'notification endpoint delivering again');
    }
    this.failingSince = undefined;
    this.consecutiveFailures = 0;
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.closing.signal }).catch(() => undefined);
  }
}

/** fetch refuses URLs with credentials: user:password moves into a Basic Authorization header (unless one is configured). */
function requestTarget(config: NotificationEndpointConfig): { url: string; headers: Headers } {
  const url = new URL(config.url);
  const headers = new Headers();
  for (const [name, values] of Object.entries(config.headers)) for (const value of values) headers.append(name, value);
  if ((url.username !== '' || url.password !== '') && !headers.has('authorization')) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.set('authorization', `Basic ${Buffer.from(credentials).toString('base64')}`);
  }
  url.username = '';
  url.password = '';
  headers.set('content-type', EVENTS_MEDIA_TYPE);
  return { url: url.toString(), headers };
}

function describeFetchError(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
