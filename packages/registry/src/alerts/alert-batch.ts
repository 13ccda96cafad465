// Batching and rate limiting of alerts: the first alert is sent after a short window (so a burst becomes one
// mail), later ones wait until `intervalMs` has passed since the last mail; in between they are counted per
// kind with the first few kept as examples. An outage sends a few mails, not thousands; memory stays bounded.
export type AlertKind = 'server-error' | 'storage' | 'gc';

export interface Alert {
  kind: AlertKind;
  at: number;
  summary: string;
  detail: Record<string, string>;
}

export interface AlertDigest {
  /** First and last alert times of the batch. */
  from: number;
  to: number;
  counts: Partial<Record<AlertKind, number>>;
  examples: Alert[];
}

const EXAMPLES_PER_KIND = 5;

export class AlertBatch {
  private counts: Partial<Record<AlertKind, number>> = {};
  private examples: Alert[] = [];
  private first = 0;
  private last = 0;

  get empty(): boolean {
    return this.examples.length === 0;
  }

  add(alert: Alert): void {
    if (this.empty) this.first = alert.at;
    this.last = alert.at;
    const count = (this.counts[alert.kind] ?? 0) + 1;
    this.counts[alert.kind] = count;
    if (count <= EXAMPLES_PER_KIND) this.examples.push(alert);
  }

  /** The batch so far, and a fresh start. */
  take(): AlertDigest {
    const digest = { from: this.first, to: this.last, counts: this.counts, examples: this.examples };
    this.counts = {};
    this.examples = [];
    return digest;
  }
}

export interface AlertSchedule {
  /** Wait after the first alert of a quiet period, so a burst is one mail. */
  batchWindowMs: number;
  /** Least time between two mails. */
  intervalMs: number;
}

/** When the pending batch may be sent: `now + window`, but never sooner than `interval` after the last mail. */
export function nextSendAt(now: number, lastSentAt: number | undefined, schedule: AlertSchedule): number {
  const earliest = lastSentAt === undefined ? 0 : lastSentAt + schedule.intervalMs;
  return Math.max(now + schedule.batchWindowMs, earliest);
}
