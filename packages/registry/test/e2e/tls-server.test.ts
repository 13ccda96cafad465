// TLS as operators run it: certificate files renewed under a running registry (new connections get the new
// certificate, open ones keep working, a broken renewal keeps the old one), plain HTTP on the TLS port
// answered with a readable 400 as Go's servers do, cipher suites by distribution's names, minimumtls, and
// client certificates (clientcas) acting as users of the access policy by their CN.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { cleanupTestbed, freePort, readLogText, runCommand, startRegistryProcess, tempDir, writeHtpasswdFile, CLI_PATH, type RegistryProcess } from '@private-registry/testbed';
import { clientCertificate, handshake, httpsGet, replaceFile, serverCertificate, type CertPair } from './tls-helpers.js';

async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

describe('TLS: renewal, plain HTTP on the TLS port, cipher suites, client certificates @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  after(cleanupTestbed);
  before(async () => {
    dir = (await tempDir('tls-server')).path;
  });

  describe('certificate files renewed while running', () => {
    let registry: RegistryProcess;
    let live: CertPair;
    let first: CertPair;
    let second: CertPair;

    before(async () => {
      first = await serverCertificate(dir, 'first');
      second = await serverCertificate(dir, 'second');
      live = { cert: join(dir, 'live.crt'), key: join(dir, 'live.key'), fingerprint: first.fingerprint };
      await replaceFile(first.cert, live.cert);
      await replaceFile(first.key, live.key);
      registry = await startRegistryProcess({ scheme: 'https', config: { http: { tls: { certificate: live.cert, key: live.key } } } });
    });

    it('serves the certificate it started with', async () => {
      expect((await handshake(registry.port)).fingerprint).to.equal(first.fingerprint);
      expect((await httpsGet(registry.port, '/v2/')).status).to.equal(200);
    });

    it('gives new connections the new certificate within two seconds; a kept-alive connection keeps working', async () => {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const before = await httpsGet(registry.port, '/v2/', { agent });
      expect(before.fingerprint).to.equal(first.fingerprint);
      await replaceFile(second.key, live.key);
      await replaceFile(second.cert, live.cert);
      const started = Date.now();
      expect(await until(3_000, async () => (await handshake(registry.port)).fingerprint === second.fingerprint), 'new certificate served').to.equal(true);
      expect(Date.now() - started).to.be.below(3_000);
      // The connection opened before the renewal still answers (and still shows the certificate it began with).
      const after = await httpsGet(registry.port, '/v2/', { agent });
      expect(after.status).to.equal(200);
      expect(after.fingerprint).to.equal(first.fingerprint);
      agent.destroy();
      expect(await readLogText(registry.process.logFile)).to.include('TLS certificate reloaded');
    });

    it('keeps the current certificate when the renewed files cannot be used', async () => {
      const third = await serverCertificate(dir, 'third');
      // A key that does not match the certificate.
      await replaceFile(third.cert, live.cert);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect((await handshake(registry.port)).fingerprint).to.equal(second.fingerprint);
      const log = await readLogText(registry.process.logFile);
      expect(log).to.include('TLS files changed but cannot be used');
      expect(log).to.not.include('PRIVATE KEY');
      // Once the pair matches again, it is taken.
      await replaceFile(third.key, live.key);
      expect(await until(3_000, async () => (await handshake(registry.port)).fingerprint === third.fingerprint)).to.equal(true);
    });

    it('answers plain HTTP on the TLS port with a readable 400, as Go servers do', async () => {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(registry.port, '127.0.0.1', () => socket.write('GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).to.match(/^HTTP\/1\.0 400 Bad Request\r\n/);
      expect(answer).to.include('\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
      const viaFetch = await fetch(`http://127.0.0.1:${registry.port}/v2/`);
      expect(viaFetch.status).to.equal(400);
      expect(await viaFetch.text()).to.equal('Client sent an HTTP request to an HTTPS server.\n');
    });
  });

  describe('cipher suites and minimum version', () => {
    it('uses the configured TLS 1.2 suites, named as distribution names them', async () => {
      const pair = await serverCertificate(dir, 'ciphers');
      const registry = await startRegistryProcess({
        scheme: 'https',
        config: { http: { tls: { certificate: pair.cert, key: pair.key, ciphersuites: ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'] } } },
      });
      const negotiated = await handshake(registry.port, { maxVersion: 'TLSv1.2' });
      expect(negotiated.cipher).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
      let refused: Error | undefined;
      await handshake(registry.port, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }).catch((err: Error) => (refused = err));
      expect(refused, 'a client offering only another suite is refused').to.be.instanceOf(Error);
    });

    it('refuses to start on a cipher suite it does not know, naming it', async () => {
      const pair = await serverCertificate(dir, 'badcipher');
      const config = join(dir, 'badcipher.yml');
      await writeFile(config, JSON.stringify({ version: '0.1', storage: { inmemory: {} }, http: { addr: `127.0.0.1:${await freePort()}`, tls: { certificate: pair.cert, key: pair.key, ciphersuites: ['TLS_FANCY_NEW_CIPHER'] } } }));
      const result = await runCommand(process.execPath, [CLI_PATH, 'serve', config]);
      expect(result.exitCode).to.equal(2);
      expect(result.stderr).to.include('http.tls.ciphersuites: "TLS_FANCY_NEW_CIPHER"');
    });

    it('refuses TLS 1.2 clients with minimumtls tls1.3', async () => {
      const pair = await serverCertificate(dir, 'tls13');
      const registry = await startRegistryProcess({ scheme: 'https', config: { http: { tls: { certificate: pair.cert, key: pair.key, minimumtls: 'tls1.3' } } } });
      expect((await handshake(registry.port)).protocol).to.equal('TLSv1.3');
      let refused: Error | undefined;
      await handshake(registry.port, { maxVersion: 'TLSv1.2' }).catch((err: Error) => (refused = err));
      expect(refused).to.be.instanceOf(Error);
    });
  });

  describe('client certificates as users', () => {
    let registry: RegistryProcess;
    let client: { ca: string; cert: string; key: string };

    before(async () => {
      const pair = await serverCertificate(dir, 'mtls');
      client = await clientCertificate(dir, 'deploy-bot');
      const htpasswd = join(dir, 'htpasswd');
      await writeHtpasswdFile(htpasswd, [{ user: 'someone', password: 'someone-Secret-1' }]);
      registry = await startRegistryProcess({
        scheme: 'https',
        config: {
          http: { tls: { certificate: pair.cert, key: pair.key, clientcas: [client.ca], clientauth: 'verify-client-cert-if-given' } },
          auth: { htpasswd: { realm: 'r', path: htpasswd }, access: [{ repository: ['deploy/**'], users: ['deploy-bot'], actions: ['pull', 'push'] }] },
        },
      });
    });

    it('maps a verified client certificate to the user named by its CN', async () => {
      const { readFile } = await import('node:fs/promises');
      const tlsClient = { cert: await readFile(client.cert), key: await readFile(client.key) };
      const allowed = await httpsGet(registry.port, '/v2/deploy/app/tags/list', tlsClient);
      expect(allowed.status, allowed.body).to.equal(404);
      expect(allowed.body).to.include('NAME_UNKNOWN');
      const elsewhere = await httpsGet(registry.port, '/v2/other/app/tags/list', tlsClient);
      expect(elsewhere.status).to.equal(403);
      const anonymous = await httpsGet(registry.port, '/v2/deploy/app/tags/list');
      expect(anonymous.status).to.equal(401);
    });
  });
});
