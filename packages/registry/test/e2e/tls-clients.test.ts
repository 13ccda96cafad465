// The TLS port as other TLS stacks see it: curl (plain HTTP answered with Go's readable 400, verified https,
// TLS 1.2 refused under minimumtls tls1.3) and openssl s_client (the configured cipher suite negotiated,
// others refused, a certbot renewal seen by a new connection of a running `private-registry serve`).
import { expect } from 'chai';
import { mkdir, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, findCommand, runCommand, startRegistryProcess, tempDir, type RegistryProcess } from '@private-registry/testbed';
import { serverCertificate, type CertPair } from './tls-helpers.js';

const PLAIN_HTTP_TEXT = 'Client sent an HTTP request to an HTTPS server.\n';

function curl(args: readonly string[]): ReturnType<typeof runCommand> {
  // The status after the body, so the body's own final newline survives.
  return runCommand('curl', ['-sS', '--max-time', '10', '-w', '|%{http_code}', ...args]);
}

/** openssl s_client against the port; the handshake's output (stdin closed at once: connect, handshake, quit). */
function sClient(port: number, args: readonly string[]): ReturnType<typeof runCommand> {
  return runCommand('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], { input: '', timeoutMs: 15_000 });
}

/** The SHA-256 fingerprint of the certificate a new connection is served, as openssl prints it. */
async function servedFingerprint(port: number): Promise<string> {
  const handshake = await sClient(port, []);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(handshake.stdout)?.[0];
  if (pem === undefined) return `no certificate (exit ${handshake.exitCode})`;
  const x509 = await runCommand('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem });
  return x509.stdout.replace(/^.*=/, '').trim();
}

describe('TLS port as curl and openssl s_client see it @e2e', function () {
  this.timeout(60_000);
  let dir: string;
  before(async function () {
    if (findCommand('curl') === undefined || findCommand('openssl') === undefined) this.skip();
    dir = (await tempDir('tls-clients')).path;
  });
  after(cleanupTestbed);

  describe('a registry with a certificate for 127.0.0.1', () => {
    let registry: RegistryProcess;
    let pair: CertPair;
    before(async () => {
      pair = await serverCertificate(dir, 'plain');
      registry = await startRegistryProcess({ scheme: 'https', config: { http: { tls: { certificate: pair.cert, key: pair.key } } } });
    });

    it('answers curl speaking plain HTTP with 400 and Go\'s sentence, then closes', async () => {
      const result = await curl([`http://127.0.0.1:${registry.port}/v2/`]);
      expect(result.exitCode, result.stderr).to.equal(0);
      expect(result.stdout).to.equal(`${PLAIN_HTTP_TEXT}|400`);
    });

    it('serves curl over https, verified against the certificate', async () => {
      const result = await curl(['--cacert', pair.cert, `https://127.0.0.1:${registry.port}/v2/`]);
      expect(result.exitCode, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/\|200$/);
    });
  });

  it('negotiates the configured TLS 1.2 suite with openssl and refuses a client offering only others', async () => {
    const pair = await serverCertificate(dir, 'suites');
    const registry = await startRegistryProcess({
      scheme: 'https',
      config: { http: { tls: { certificate: pair.cert, key: pair.key, ciphersuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'] } } },
    });
    const chosen = await sClient(registry.port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
    expect(chosen.exitCode, chosen.stderr).to.equal(0);
    expect(chosen.stdout).to.match(/Cipher is ECDHE-ECDSA-AES256-GCM-SHA384/);
    const other = await sClient(registry.port, ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256']);
    expect(other.exitCode).to.not.equal(0);
    expect(other.stdout + other.stderr).to.match(/handshake failure|no shared cipher|alert/i);
  });

  it('with minimumtls tls1.3 refuses curl limited to TLS 1.2 and serves it with TLS 1.3', async () => {
    const pair = await serverCertificate(dir, 'tls13');
    const registry = await startRegistryProcess({ scheme: 'https', config: { http: { tls: { certificate: pair.cert, key: pair.key, minimumtls: 'tls1.3' } } } });
    const old = await curl(['--cacert', pair.cert, '--tls-max', '1.2', `https://127.0.0.1:${registry.port}/v2/`]);
    expect(old.exitCode).to.equal(35); // CURLE_SSL_CONNECT_ERROR
    const current = await curl(['--cacert', pair.cert, '--tlsv1.3', `https://127.0.0.1:${registry.port}/v2/`]);
    expect(current.exitCode, current.stderr).to.equal(0);
    expect(current.stdout).to.match(/\|200$/);
  });

  it('shows a new connection the certificate certbot renewed (live/ symlinks swapped) within two seconds', async () => {
    const archive = join(dir, 'letsencrypt', 'archive', 'registry');
    const live = join(dir, 'letsencrypt', 'live', 'registry');
    await mkdir(archive, { recursive: true });
    await mkdir(live, { recursive: true });
    const link = async (name: string, target: string): Promise<void> => {
      await symlink(join('..', '..', 'archive', 'registry', target), join(live, `.${name}.new`));
      await rename(join(live, `.${name}.new`), join(live, name));
    };
    const first = await serverCertificate(archive, 'fullchain1');
    const second = await serverCertificate(archive, 'fullchain2');
    await link('fullchain.pem', 'fullchain1.crt');
    await link('privkey.pem', 'fullchain1.key');
    const registry = await startRegistryProcess({
      scheme: 'https',
      config: { http: { tls: { certificate: join(live, 'fullchain.pem'), key: join(live, 'privkey.pem') } } },
    });
    expect(await servedFingerprint(registry.port)).to.equal(first.fingerprint);
    await link('privkey.pem', 'fullchain2.key');
    await link('fullchain.pem', 'fullchain2.crt');
    const started = Date.now();
    let served = '';
    while (Date.now() - started < 2_000) {
      served = await servedFingerprint(registry.port);
      if (served === second.fingerprint) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(served).to.equal(second.fingerprint);
  });
});
