// Who a TLS client certificate names: the subject CN, but only of a certificate that verified against the
// client CAs. A real https server asks for certificates without refusing any (clientauth
// verify-client-cert-if-given / request-client-cert) and answers with what clientCertificateUser saw.
import { expect } from 'chai';
import http from 'node:http';
import https from 'node:https';
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cleanupTestbed, runChecked, tempDir } from '@private-registry/testbed';
import { clientCertificateUser } from '../../src/http/client-certificate.js';
import { clientCertificate, serverCertificate } from '../e2e/tls-helpers.js';

function whoAmI(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.end(JSON.stringify({ user: clientCertificateUser(req) ?? null }));
}

async function listening(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function ask(port: number, client: https.RequestOptions = {}): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false, ...client }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve((JSON.parse(body) as { user: string | null }).user));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('clientCertificateUser: a verified client certificate names its user', function () {
  this.timeout(30_000);
  let dir: string;
  let port: number;
  let server: https.Server;
  let trusted: { cert: Buffer; key: Buffer };

  after(cleanupTestbed);
  before(async () => {
    dir = (await tempDir('client-certificate')).path;
    const pair = await serverCertificate(dir, 'server');
    await mkdir(join(dir, 'trusted'));
    const issued = await clientCertificate(join(dir, 'trusted'), 'deploy-bot');
    trusted = { cert: await readFile(issued.cert), key: await readFile(issued.key) };
    server = https.createServer({ cert: await readFile(pair.cert), key: await readFile(pair.key), ca: [await readFile(issued.ca)], requestCert: true, rejectUnauthorized: false }, whoAmI);
    port = await listening(server);
  });
  after(() => server.close());

  it('is the subject CN of a certificate signed by a client CA', async () => {
    expect(await ask(port, trusted)).to.equal('deploy-bot');
  });

  it('is no one without a client certificate', async () => {
    expect(await ask(port)).to.equal(null);
  });

  it('is no one for a certificate from a CA that is not listed, whatever its CN says', async () => {
    await mkdir(join(dir, 'stranger'));
    const forged = await clientCertificate(join(dir, 'stranger'), 'deploy-bot');
    expect(await ask(port, { cert: await readFile(forged.cert), key: await readFile(forged.key) })).to.equal(null);
  });

  it('is no one for a listed CA\'s certificate without a CN', async () => {
    const sub = join(dir, 'trusted');
    await runChecked('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(sub, 'nocn.key'), '-out', join(sub, 'nocn.csr'), '-subj', '/O=no common name']);
    await runChecked('openssl', ['x509', '-req', '-in', join(sub, 'nocn.csr'), '-CA', join(sub, 'ca.crt'), '-CAkey', join(sub, 'ca.key'), '-CAcreateserial', '-out', join(sub, 'nocn.crt'), '-days', '2']);
    expect(await ask(port, { cert: await readFile(join(sub, 'nocn.crt')), key: await readFile(join(sub, 'nocn.key')) })).to.equal(null);
  });

  it('is no one on plain HTTP', async () => {
    const plain = http.createServer(whoAmI);
    const plainPort = await listening(plain);
    try {
      const body = await (await fetch(`http://127.0.0.1:${plainPort}/`)).json();
      expect(body).to.deep.equal({ user: null });
    } finally {
      plain.close();
    }
  });
});
