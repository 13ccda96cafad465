// Alert batching, rate limiting and what a mail may contain, with a sender that records instead of sending
// (the e2e test sends through a real SMTP server).
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { Alerter } from '../../src/alerts/alerter.js';
import { AlertBatch, nextSendAt } from '../../src/alerts/alert-batch.js';
import { alertDetail, composeAlertMail } from '../../src/alerts/alert-message.js';
import type { MailConfig } from '../../src/config/registry-config.js';

const MAIL: MailConfig = { host: 'mx', port: 25, username: 'u', password: 'hunter2', tls: false, from: 'r@x.org', to: ['ops@x.org'], intervalMs: 300, insecureSkipVerify: false, caFile: undefined };

function recordingAlerter(schedule: { batchWindowMs: number; intervalMs: number }) {
  const sent: { subject: string; text: string }[] = [];
  const alerter = new Alerter(MAIL, {
    log: createLogger({ level: 'silent' }),
    version: '0.1.0',
    schedule,
    sender: { send: async (message) => void sent.push(message), close: () => undefined },
  });
  return { alerter, sent };
}

describe('alerts', function () {
  it('sends a burst as one mail after the batch window, then at most one mail per interval', async function () {
    this.timeout(5000);
    const { alerter, sent } = recordingAlerter({ batchWindowMs: 50, intervalMs: 400 });
    for (let i = 0; i < 100; i += 1) alerter.fromLog({ method: 'GET', url: `/v2/app/blobs/sha256:${i}` }, 'request failed');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sent).to.have.length(1);
    expect(sent[0]?.subject).to.match(/: 100 alerts \(server-error ×100\)$/);
    // A long outage: an alert every 10 ms for a second gives about a mail per interval, not a hundred.
    for (let t = 0; t < 100; t += 1) {
      alerter.fromLog({ storage: 'filesystem', alert: 'storage' }, 'storage is not answering');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await alerter.close();
    expect(sent.length).to.be.within(2, 5);
    const total = sent.map((m) => Number(/: (\d+) alerts? /.exec(m.subject)?.[1])).reduce((a, b) => a + b, 0);
    expect(total).to.equal(200);
  });

  it('keeps the first five examples per kind and counts the rest', () => {
    const batch = new AlertBatch();
    for (let i = 0; i < 50; i += 1) batch.add({ kind: 'gc', at: i, summary: 'gc failed', detail: {} });
    const digest = batch.take();
    expect(digest.counts).to.deep.equal({ gc: 50 });
    expect(digest.examples).to.have.length(5);
    expect(batch.empty).to.equal(true);
  });

  it('schedules the next mail one window after now, and never sooner than an interval after the last', () => {
    expect(nextSendAt(1000, undefined, { batchWindowMs: 10, intervalMs: 500 })).to.equal(1010);
    expect(nextSendAt(1000, 900, { batchWindowMs: 10, intervalMs: 500 })).to.equal(1400);
  });

  it('never puts a secret in a mail: query strings go, secret-looking values and unknown fields are left out', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const detail = alertDetail({
      method: 'GET',
      url: '/v2/app/blobs/sha256:ab?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA',
      authorization: 'Basic dTpodW50ZXIy',
      password: 'hunter2',
      reason: 'token=abc',
      err,
    });
    expect(detail).to.deep.equal({ method: 'GET', url: '/v2/app/blobs/sha256:ab?…', reason: '[left out: looks like a secret]', error: 'ECONNREFUSED: connect ECONNREFUSED' });
    const mail = composeAlertMail({ from: 0, to: 1, counts: { 'server-error': 1 }, examples: [{ kind: 'server-error', at: 0, summary: 'request failed', detail }] }, { host: 'h', version: '0.1.0' });
    expect(mail.text).not.to.match(/hunter2|dTpodW50ZXIy|deadbeef|AKIA/);
    expect(mail.text).to.include('url: /v2/app/blobs/sha256:ab?…');
  });
});
