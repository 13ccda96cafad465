// The SMTP connection mail alerts go through (nodemailer): implicit TLS on port 465, STARTTLS required when
// `mail.tls` is on (otherwise used when the server offers it), login when a username is set.
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type { MailConfig } from '../config/registry-config.js';

export interface MailSender {
  send(message: { subject: string; text: string }): Promise<void>;
  close(): void;
}

const TIMEOUT_MS = 30_000;

export function mailSender(config: MailConfig): MailSender {
  const implicitTls = config.port === 465;
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: implicitTls,
    requireTLS: config.tls && !implicitTls,
    ...(config.username === undefined ? {} : { auth: { user: config.username, pass: config.password ?? '' } }),
    tls: {
      rejectUnauthorized: !config.insecureSkipVerify,
      ...(config.caFile === undefined ? {} : { ca: readFileSync(config.caFile) }),
    },
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  const from = config.from ?? `private-registry@${config.host}`;
  return {
    async send(message) {
      await transport.sendMail({ from, to: config.to, subject: message.subject, text: message.text });
    },
    close() {
      transport.close();
    },
  };
}
