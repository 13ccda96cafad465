// Reads `mail` (our extension; the old docker-registry's smtp_*, from_addr and to_addr keys map here) into
// MailConfig: where alert mails go (alerts/alerter.ts), how often at most, and how to trust the server.
import type { ConfigSection } from './config-section.js';
import type { MailConfig } from './registry-config.js';

const DEFAULT_SMTP_PORT = 25;
/** Alert mails: at most one per quarter hour after the first. */
const DEFAULT_ALERT_INTERVAL_MS = 15 * 60_000;
const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$/;

export function readMail(root: ConfigSection): MailConfig | undefined {
  const mail = root.section('mail');
  if (!mail.present) return undefined;
  const host = mail.string('host');
  if (host === undefined || host === '') return mail.fail('host', 'is required when the mail section is present (the SMTP server)');
  const port = mail.integer('port') ?? DEFAULT_SMTP_PORT;
  if (port < 1 || port > 65535) mail.fail('port', `${port} is not a TCP port`);
  const from = mail.string('from');
  if (from !== undefined && !ADDRESS.test(from)) mail.fail('from', `${JSON.stringify(from)} is not a mail address`);
  const to = (mail.stringList('to') ?? []).flatMap((entry) => entry.split(',')).map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const address of to) if (!ADDRESS.test(address)) mail.fail('to', `${JSON.stringify(address)} is not a mail address`);
  const username = mail.string('username') || undefined;
  const password = mail.string('password') || undefined;
  const intervalMs = mail.duration('interval') ?? DEFAULT_ALERT_INTERVAL_MS;
  if (intervalMs < 1000) mail.fail('interval', 'must be at least 1s');
  const caFile = mail.string('cafile') || undefined;
  return { host, port, username, password, tls: mail.bool('tls') ?? false, from, to, intervalMs, insecureSkipVerify: mail.bool('insecureskipverify') ?? false, caFile };
}
