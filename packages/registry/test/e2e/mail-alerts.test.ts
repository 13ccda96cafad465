// Alert mails through a real SMTP server on loopback (smtp-server: STARTTLS with its own certificate, AUTH PLAIN
// and LOGIN checked): a registry whose store fails a request 200 times sends one mail naming the error, with
// no password and no Authorization in it.
import { expect } from 'chai';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { cleanupTestbed, freePort, registerCleanup, startRegistryProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { parseDigest } from '../../src/oci/digest.js';

const SMTP_USER = 'registry';
const SMTP_PASSWORD = 'smtp-pass-7f3a9c';

interface Inbox {
  port: number;
  mails: ParsedMail[];
  tlsSessions: number;
}

async function startSmtp(): Promise<Inbox> {
  const inbox: Inbox = { port: await freePort(), mails: [], tlsSessions: 0 };
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, session, callback) {
      if (session.secure) inbox.tlsSessions += 1;
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: SMTP_USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          inbox.mails.push(mail);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(inbox.port, '127.0.0.1', resolve));
  registerCleanup({ name: `smtp-server :${inbox.port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())), stopSync: () => server.close() });
  return inbox;
}

describe('email alerts through a real SMTP server @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('a storage failure on 200 requests sends one mail that names the error and holds no secret', async () => {
    const inbox = await startSmtp();
    const registry = await startRegistryProcess({
      config: {
        mail: { host: '127.0.0.1', port: inbox.port, tls: true, insecureskipverify: true, username: SMTP_USER, password: SMTP_PASSWORD, from: 'registry@example.org', to: ['ops@example.org'], interval: '10m' },
      },
    });
    const client = new RegistryApiClient(registry.url);
    const blob = await client.pushBlob('alerts/app', randomBlob(100));
    // The blob's data becomes a symbolic link to itself: every read of it fails inside the store (ELOOP), a server error.
    const data = join(registry.rootDirectory, pathFor({ kind: 'blobData', digest: parseDigest(blob.digest) }));
    await rm(data);
    await symlink(data, data);
    for (let i = 0; i < 200; i += 1) {
      const response = await client.request('GET', `/v2/alerts/app/blobs/${blob.digest}?attempt=${i}`, { headers: { Authorization: `Basic ${Buffer.from(`u:${SMTP_PASSWORD}`).toString('base64')}` } });
      expect(response.status).to.equal(503);
    }
    const deadline = Date.now() + 20_000;
    while (inbox.mails.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(inbox.mails.length, 'mails for one outage').to.be.within(1, 2);
    expect(inbox.tlsSessions, 'logged in over STARTTLS').to.be.at.least(1);
    const mail = inbox.mails[0] as ParsedMail;
    expect(mail.subject, mail.text).to.match(/^\[private-registry\] .+: 200 alerts \(storage ×200\)$/);
    expect(mail.from?.text).to.equal('registry@example.org');
    const text = mail.text ?? '';
    expect(text).to.match(/storage failures: 200/);
    expect(text).to.include('storage: storage failed');
    expect(text).to.include(`url: /v2/alerts/app/blobs/${blob.digest}?…`);
    expect(text).to.match(/error: STORAGE_UNAVAILABLE: filesystem: ELOOP on \/docker\/registry\/v2\/blobs\//);
    expect(text).not.to.include(SMTP_PASSWORD);
    expect(text).not.to.match(/authorization|Basic /i);
    await registry.stop();
  });
});
