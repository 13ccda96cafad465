// The certificate, key and client CAs read from files and re-read when they change, against a real TLS server
// whose secure context the watcher replaces: laid out as certbot does (live/ symlinks into archive/, swapped on
// renewal), with a change noticed through directory events or, without them, the poll.
import { expect } from 'chai';
import { copyFile, readFile, rename, symlink, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { CodedError, createLogger, type Logger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { readSecureContext, watchTlsFiles, type TlsFiles, type TlsWatchOptions } from '../../src/tls/tls-context.js';
import { clientCertificate, handshake, serverCertificate, type CertPair } from '../e2e/tls-helpers.js';

function capturedLog(): { log: Logger; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { log: createLogger({ level: 'debug', destination: stream }), text: () => text };
}

async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/** certbot's layout: live/<site>/{cert,privkey}.pem are symlinks into archive/<site>/; a renewal swaps them. */
class CertbotLayout {
  readonly archive: string;
  readonly live: string;
  constructor(root: string) {
    this.archive = join(root, 'archive', 'site');
    this.live = join(root, 'live', 'site');
  }
  get files(): { certificate: string; key: string } {
    return { certificate: join(this.live, 'cert.pem'), key: join(this.live, 'privkey.pem') };
  }
  async init(): Promise<void> {
    await mkdir(this.archive, { recursive: true });
    await mkdir(this.live, { recursive: true });
  }
  async issue(name: string): Promise<CertPair> {
    return serverCertificate(this.archive, name);
  }
  /** Points a live link at a file in archive/ the way certbot does: a new link renamed over the old one. */
  async link(live: 'cert.pem' | 'privkey.pem', target: string): Promise<void> {
    const temp = join(this.live, `.${live}.new`);
    await symlink(join('..', '..', 'archive', 'site', target.split('/').pop()!), temp);
    await rename(temp, join(this.live, live));
  }
  async install(pair: CertPair): Promise<void> {
    await this.link('privkey.pem', pair.key);
    await this.link('cert.pem', pair.cert);
  }
}

interface Served {
  port: number;
  stop: () => void;
}

async function serveWatched(files: TlsFiles, log: Logger, options: TlsWatchOptions = {}, serverOptions: tls.TlsOptions = {}): Promise<Served> {
  const server = tls.createServer({ ...(await readSecureContext(files)), ...serverOptions }, (socket) => socket.end(socket.authorized ? 'authorized' : 'unauthorized'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stopWatching = await watchTlsFiles(files, (context) => server.setSecureContext(context), log, options);
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => {
      stopWatching();
      server.close();
    },
  };
}

describe('TLS files: read, and re-read when renewed', function () {
  this.timeout(30_000);
  let dir: string;
  after(cleanupTestbed);
  beforeEach(async () => {
    dir = (await tempDir('tls-context')).path;
  });

  describe('readSecureContext', () => {
    it('refuses a key that does not belong to the certificate, without showing the key', async () => {
      const a = await serverCertificate(dir, 'a');
      const b = await serverCertificate(dir, 'b');
      let error: unknown;
      await readSecureContext({ certificate: a.cert, key: b.key }).catch((err: unknown) => (error = err));
      expect(error).to.be.instanceOf(CodedError);
      expect((error as CodedError).code).to.equal('CONFIG_INVALID');
      expect((error as CodedError).message).to.include('the key does not match the certificate');
      expect((error as CodedError).message).to.not.include('PRIVATE KEY');
    });

    it('names the setting whose file cannot be read', async () => {
      const a = await serverCertificate(dir, 'a');
      let error: unknown;
      await readSecureContext({ certificate: a.cert, key: join(dir, 'missing.key') }).catch((err: unknown) => (error = err));
      expect((error as CodedError).code).to.equal('CONFIG_INVALID');
      expect((error as CodedError).message).to.match(/^invalid configuration: http\.tls\.key: cannot read .*missing\.key \(ENOENT\)/);
    });

    it('refuses a certificate file that is not PEM', async () => {
      const a = await serverCertificate(dir, 'a');
      let error: unknown;
      await readSecureContext({ certificate: a.key, key: a.key }).catch((err: unknown) => (error = err));
      expect((error as CodedError).code).to.equal('CONFIG_INVALID');
    });
  });

  describe('watchTlsFiles', () => {
    let served: Served | undefined;
    afterEach(() => served?.stop());

    it('serves a certbot renewal (symlinks swapped) to new connections within a second, noticed by directory events', async () => {
      const certbot = new CertbotLayout(dir);
      await certbot.init();
      const first = await certbot.issue('cert1');
      const second = await certbot.issue('cert2');
      await certbot.install(first);
      const { log, text } = capturedLog();
      // A poll far too slow to matter: only the directory events can make this pass.
      served = await serveWatched(certbot.files, log, { pollMs: 3_600_000 });
      expect((await handshake(served.port)).fingerprint).to.equal(first.fingerprint);
      await certbot.install(second);
      const started = Date.now();
      expect(await until(2_000, async () => (await handshake(served!.port)).fingerprint === second.fingerprint), 'renewed certificate served').to.equal(true);
      expect(Date.now() - started).to.be.below(1_000);
      expect(text()).to.include('TLS certificate reloaded');
    });

    it('notices a renewal by the poll when there are no directory events', async () => {
      const certbot = new CertbotLayout(dir);
      await certbot.init();
      const first = await certbot.issue('cert1');
      const second = await certbot.issue('cert2');
      await certbot.install(first);
      served = await serveWatched(certbot.files, capturedLog().log, { pollOnly: true, pollMs: 300 });
      await certbot.install(second);
      expect(await until(3_000, async () => (await handshake(served!.port)).fingerprint === second.fingerprint)).to.equal(true);
    });

    it('keeps the current certificate when the renewed key does not match, and takes the pair once it does', async () => {
      const certbot = new CertbotLayout(dir);
      await certbot.init();
      const first = await certbot.issue('cert1');
      const second = await certbot.issue('cert2');
      await certbot.install(first);
      const { log, text } = capturedLog();
      served = await serveWatched(certbot.files, log, { pollMs: 200 });
      // Half a renewal: the new certificate with the old key.
      await certbot.link('cert.pem', second.cert);
      expect(await until(1_500, async () => text().includes('cannot be used'))).to.equal(true);
      expect((await handshake(served.port)).fingerprint).to.equal(first.fingerprint);
      expect(text()).to.include('keeping the previous certificate');
      const keyBody = (await readFile(first.key, 'utf8')).split('\n')[1]!;
      expect(text()).to.not.include('PRIVATE KEY');
      expect(text()).to.not.include(keyBody);
      await certbot.link('privkey.pem', second.key);
      expect(await until(2_000, async () => (await handshake(served!.port)).fingerprint === second.fingerprint)).to.equal(true);
    });

    it('keeps the current certificate when a renewed file is empty', async () => {
      const first = await serverCertificate(dir, 'first');
      const files = { certificate: join(dir, 'live.crt'), key: join(dir, 'live.key') };
      await copyFile(first.cert, files.certificate);
      await copyFile(first.key, files.key);
      const { log, text } = capturedLog();
      served = await serveWatched(files, log, { pollMs: 200 });
      await copyFile('/dev/null', `${files.certificate}.new`);
      await rename(`${files.certificate}.new`, files.certificate);
      expect(await until(1_500, async () => text().includes('cannot be used'))).to.equal(true);
      expect((await handshake(served.port)).fingerprint).to.equal(first.fingerprint);
    });

    it('re-reads the client CA bundle: a client certificate from a newly listed CA is then verified', async () => {
      const server = await serverCertificate(dir, 'server');
      const oldCa = await clientCertificate(join(dir, await mkdirIn(dir, 'old')), 'someone-else');
      const newCa = await clientCertificate(join(dir, await mkdirIn(dir, 'new')), 'deploy-bot');
      const clientCas = join(dir, 'clientcas.pem');
      await copyFile(oldCa.ca, clientCas);
      served = await serveWatched({ certificate: server.cert, key: server.key, clientCas: [clientCas] }, capturedLog().log, {}, { requestCert: true, rejectUnauthorized: false });
      const client = { cert: await readFile(newCa.cert), key: await readFile(newCa.key) };
      expect(await answer(served.port, client)).to.equal('unauthorized');
      await copyFile(newCa.ca, `${clientCas}.new`);
      await rename(`${clientCas}.new`, clientCas);
      expect(await until(2_000, async () => (await answer(served!.port, client)) === 'authorized')).to.equal(true);
    });
  });
});

async function mkdirIn(dir: string, name: string): Promise<string> {
  await mkdir(join(dir, name));
  return name;
}

/** What the test server says to a client presenting `client`: authorized or unauthorized. */
function answer(port: number, client: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...client });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}
