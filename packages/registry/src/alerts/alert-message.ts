// The mail an alert batch becomes: subject and plain text with the host, the version, counts per kind and the
// first examples. Only known fields are copied from a log record, URLs lose their query strings (signed S3
// URLs carry credentials there), and anything that looks like a secret is left out.
import type { Alert, AlertDigest, AlertKind } from './alert-batch.js';

const SHOWN_FIELDS = ['method', 'url', 'route', 'repository', 'requestId', 'status', 'code', 'storage', 'reason', 'error'] as const;
const SECRET = /secret|password|passwd|token|credential|authorization|cookie|signature|x-amz-/i;

/** The fields of a log record an alert may show, as strings; the error's code and message under `error`. */
export function alertDetail(fields: Record<string, unknown>): Record<string, string> {
  const detail: Record<string, string> = {};
  for (const key of SHOWN_FIELDS) {
    const value = fields[key];
    if (value === undefined || value === null || typeof value === 'object') continue;
    detail[key] = clean(String(value));
  }
  const err = fields['err'] ?? fields['error'];
  // An Error, or its message and code as a worker sends them to the primary (http.workers).
  if (err instanceof Error || (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string')) {
    const { code, message } = err as { code?: unknown; message: string };
    detail['error'] = clean(`${typeof code === 'string' ? `${code}: ` : ''}${message}`);
  }
  return detail;
}

function clean(text: string): string {
  const withoutQueries = text.replace(/\?[^\s"']*/g, '?…');
  return SECRET.test(withoutQueries) ? '[left out: looks like a secret]' : withoutQueries.slice(0, 500);
}

const KIND_TITLES: Record<AlertKind, string> = { 'server-error': 'server errors', storage: 'storage failures', gc: 'garbage collection failures' };

export interface MailContext {
  host: string;
  version: string;
}

export function composeAlertMail(digest: AlertDigest, context: MailContext): { subject: string; text: string } {
  const kinds = Object.entries(digest.counts) as [AlertKind, number][];
  const total = kinds.reduce((n, [, count]) => n + count, 0);
  const subject = `[private-registry] ${context.host}: ${total} alert${total === 1 ? '' : 's'} (${kinds.map(([kind, count]) => `${kind} ×${count}`).join(', ')})`;
  const lines = [
    `private-registry ${context.version} on ${context.host}`,
    `from ${new Date(digest.from).toISOString()} to ${new Date(digest.to).toISOString()}`,
    '',
    ...kinds.map(([kind, count]) => `${KIND_TITLES[kind]}: ${count}`),
    '',
    'First examples:',
    ...digest.examples.map(describe),
    '',
    'Logs on that host have every occurrence; this mail is rate limited (mail.interval).',
  ];
  return { subject, text: `${lines.join('\n')}\n` };
}

function describe(alert: Alert): string {
  const detail = Object.entries(alert.detail).map(([key, value]) => `    ${key}: ${value}`);
  return [`- ${new Date(alert.at).toISOString()} ${alert.kind}: ${clean(alert.summary)}`, ...detail].join('\n');
}
