// Email alerts (the `mail` section): unexpected server errors, storage failures and failed garbage collections
// become mails, batched and rate limited (alert-batch.ts). Fed from the logger: every error record, and every
// record marked with an `alert` field (see core's createLogger onAlert), so what a mail says was logged too.
import { hostname } from 'node:os';
import type { Logger } from '@private-registry/core';
import type { MailConfig } from '../config/registry-config.js';
import { AlertBatch, nextSendAt, type AlertKind, type AlertSchedule } from './alert-batch.js';
import { alertDetail, composeAlertMail } from './alert-message.js';
import { mailSender, type MailSender } from './mail-transport.js';
import type { AlertRelay } from './alert-relay.js';

const BATCH_WINDOW_MS = 10_000;

export interface AlerterOptions {
  log: Logger;
  version: string;
  sender?: MailSender;
  schedule?: Partial<AlertSchedule>;
  now?: () => number;
}

export class Alerter {
  private readonly batch = new AlertBatch();
  private readonly sender: MailSender;
  private readonly schedule: AlertSchedule;
  private readonly now: () => number;
  private lastSentAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  /** Mails sent, and sends that failed (for tests and /debug/vars). */
  readonly stats = { sent: 0, failed: 0 };

  constructor(
    config: MailConfig,
    private readonly options: AlerterOptions,
  ) {
    this.sender = options.sender ?? mailSender(config);
    this.schedule = { batchWindowMs: BATCH_WINDOW_MS, intervalMs: config.intervalMs, ...options.schedule };
    this.now = options.now ?? Date.now;
  }

  alert(kind: AlertKind, summary: string, fields: Record<string, unknown> = {}): void {
    this.batch.add({ kind, at: this.now(), summary, detail: alertDetail(fields) });
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, nextSendAt(this.now(), this.lastSentAt, this.schedule) - this.now()));
      this.timer.unref();
    }
  }

  /** The logger's hook: error records are server errors unless they say which kind they are. */
  readonly fromLog = (fields: Record<string, unknown>, message: string): void => {
    if (fields['component'] === 'alerts') return; // never alert about failing to alert
    const marked = fields['alert'];
    const kind: AlertKind = marked === 'storage' || marked === 'gc' ? marked : 'server-error';
    this.alert(kind, message, fields);
  };

  /** Sends what is pending now (shutdown). */
  async close(): Promise<void> {
    this.flush();
    await this.sending;
    this.sender.close();
  }

  private flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.empty) return;
    const digest = this.batch.take();
    this.lastSentAt = this.now();
    const mail = composeAlertMail(digest, { host: hostname(), version: this.options.version });
    this.sending = this.sending.then(() =>
      this.sender.send(mail).then(
        () => {
          this.stats.sent += 1;
        },
        (err: unknown) => {
          this.stats.failed += 1;
          this.options.log.warn({ component: 'alerts', error: err instanceof Error ? err.message : String(err) }, 'alert mail not sent');
        },
      ),
    );
  }
}

/**
 * The alerter for `mail` (none without recipients), attached to `relay` and announced in the log: what a single
 * process and the primary of several workers both do at startup.
 */
export function attachAlerter(relay: AlertRelay, mail: MailConfig | undefined, log: Logger, version: string): Alerter | undefined {
  const alerter = mail !== undefined && mail.to.length > 0 ? new Alerter(mail, { log, version }) : undefined;
  relay.attach(alerter?.fromLog);
  if (alerter !== undefined && mail !== undefined) log.info({ smtp: `${mail.host}:${mail.port}`, to: mail.to, intervalMs: mail.intervalMs }, 'alert mails on');
  return alerter;
}
