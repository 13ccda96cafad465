// TLS as an operator sets it up: a private CA, a server certificate for 127.0.0.1, http.tls in the
// config; clients that trust the CA get verified HTTPS, everything else is turned away.
import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import http from 'node:http';
import { join } from 'node:path';
import { assertSucceeded, buildBusyboxImage, cleanupTestbed, readLayoutIndex, runChecked, runCommand, skopeo, tempDir } from '@private-registry/testbed';
import { runCli, startOurRegistry, type OurRegistry } from './interop-helpers.js';

interface Pki {
  dir: string;
  /** A directory holding only `ca.crt`: what skopeo's --*-cert-dir wants. */
  certDir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** A self-signed CA and a server certificate for IP 127.0.0.1 signed by it. */
async function makePki(): Promise<Pki> {
  const dir = (await tempDir('tls-pki')).path;
  const certDir = join(dir, 'certs.d');
  const at = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runChecked('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '2', '-subj', '/CN=private-registry test CA']);
  await runChecked('openssl', ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  await runChecked('openssl', [
    'x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-out', at('server.crt'), '-days', '2', '-extfile', at('server.ext'),
  ]);
  await mkdir(certDir);
  await writeFile(join(certDir, 'ca.crt'), await readFile(at('ca.crt')));
  return { dir, certDir, caFile: at('ca.crt'), certFile: at('server.crt'), keyFile: at('server.key') };
}

function tlsConfig(pki: Pki, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { http: { tls: { certificate: pki.certFile, key: pki.keyFile, ...extra } } };
}

/** GET with Node's https, trusting only `ca`; resolves with the status or rejects with the TLS error. */
function httpsGet(url: string, ca: Buffer, tls: https.RequestOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca, agent: false, timeout: 10_000, ...tls }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function plainGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS from http.tls @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  let pki: Pki;
  let ca: Buffer;
  let registry: OurRegistry;

  before(async () => {
    pki = await makePki();
    ca = await readFile(pki.caFile);
    registry = await startOurRegistry({ scheme: 'https', config: tlsConfig(pki) });
  });

  it('answers /v2/ over https to a client that trusts the CA', async () => {
    expect(await httpsGet(`${registry.url}/v2/`, ca)).to.equal(200);
    const curl = await runCommand('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', pki.caFile, `${registry.url}/v2/`]);
    expect(curl.stdout, curl.stderr).to.equal('200');
  });

  it('is refused by a client that does not trust the CA', async () => {
    let error: unknown;
    await httpsGet(`${registry.url}/v2/`, Buffer.from('')).catch((err: unknown) => (error = err));
    expect((error as NodeJS.ErrnoException | undefined)?.code).to.match(/SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/);
  });

  it('does not answer plain http on the TLS port', async () => {
    let status: number | undefined;
    let error: unknown;
    await plainGet(`http://127.0.0.1:${registry.port}/v2/`).then((s) => (status = s), (err: unknown) => (error = err));
    // Node's TLS server drops a plain HTTP request (or, at most, answers 400): never a registry 200.
    expect(status ?? 0, `plain http answered ${String(status)}`).to.not.equal(200);
    if (status === undefined) expect(error).to.be.instanceOf(Error);
  });

  it('lets skopeo push and pull with TLS verified against a cert dir holding ca.crt', async () => {
    const image = await buildBusyboxImage(join((await tempDir('tls-image')).path, 'layout'), { extraFileContent: 'tls' });
    const target = `docker://${registry.host}/tls/busybox:v1`;
    assertSucceeded(await skopeo(['copy', '--dest-cert-dir', pki.certDir, image.ref, target]));
    const out = join((await tempDir('tls-out')).path, 'layout');
    assertSucceeded(await skopeo(['copy', '--src-cert-dir', pki.certDir, target, `oci:${out}:v1`]));
    const pulled = await readLayoutIndex(out);
    expect(pulled.manifests.map((d) => d.digest)).to.deep.equal([image.manifestDigest]);
  });

  it('makes skopeo fail verification without the CA (the push above was really verified)', async () => {
    const emptyCertDir = (await tempDir('tls-empty-certs')).path;
    const result = await skopeo(['inspect', '--cert-dir', emptyCertDir, `docker://${registry.host}/tls/busybox:v1`]);
    expect(result.exitCode).to.not.equal(0);
    expect(result.stderr).to.match(/x509|certificate/i);
  });

  it('with minimumtls: tls1.3, refuses a TLS 1.2-only client and serves a TLS 1.3 one', async () => {
    const strict = await startOurRegistry({ scheme: 'https', config: tlsConfig(pki, { minimumtls: 'tls1.3' }) });
    const old = await runCommand('curl', ['-sS', '-o', '/dev/null', '--cacert', pki.caFile, '--tls-max', '1.2', `${strict.url}/v2/`]);
    expect(old.exitCode, `curl --tls-max 1.2 succeeded: ${old.stdout}`).to.not.equal(0);
    let nodeError: unknown;
    await httpsGet(`${strict.url}/v2/`, ca, { maxVersion: 'TLSv1.2' }).catch((err: unknown) => (nodeError = err));
    expect(nodeError, 'Node client limited to TLS 1.2').to.be.instanceOf(Error);
    const modern = await runCommand('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', pki.caFile, '--tlsv1.3', `${strict.url}/v2/`]);
    expect(modern.stdout, modern.stderr).to.equal('200');
    await strict.stop();
  });

  it('stops startup with a non-zero exit naming the missing certificate file', async () => {
    const dir = (await tempDir('tls-missing')).path;
    const missing = join(dir, 'no-such-cert.pem');
    const config = join(dir, 'config.yml');
    await writeFile(config, JSON.stringify({
      version: '0.1',
      http: { addr: '127.0.0.1:0', tls: { certificate: missing, key: pki.keyFile } },
      storage: { filesystem: { rootdirectory: join(dir, 'data') } },
    }));
    const result = await runCli(['serve', config], { cwd: dir });
    expect(result.exitCode, result.stdout).to.not.equal(0);
    expect(result.stderr).to.contain(missing);
    expect(result.stderr).to.contain('invalid configuration: http.tls.certificate');
  });

  describe('client certificates (http.tls.clientcas)', () => {
    /** A client certificate signed by the test CA, or by a CA of its own when `foreign`. */
    async function clientCert(name: string, foreign = false): Promise<{ cert: Buffer; key: Buffer }> {
      const at = (file: string): string => join(pki.dir, file);
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      let caCert = at('ca.crt');
      let caKey = at('ca.key');
      if (foreign) {
        await runChecked('openssl', ['req', '-x509', ...ec, '-keyout', at('other-ca.key'), '-out', at('other-ca.crt'), '-days', '2', '-subj', '/CN=some other CA']);
        caCert = at('other-ca.crt');
        caKey = at('other-ca.key');
      }
      await runChecked('openssl', ['req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${name}`]);
      await writeFile(at(`${name}.ext`), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
      await runChecked('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', at(`${name}.crt`), '-days', '2', '-extfile', at(`${name}.ext`)]);
      return { cert: await readFile(at(`${name}.crt`)), key: await readFile(at(`${name}.key`)) };
    }

    it('requires a client certificate signed by a listed CA by default', async () => {
      const strict = await startOurRegistry({ scheme: 'https', config: tlsConfig(pki, { clientcas: [pki.caFile] }) });
      try {
        const good = await clientCert('good-client');
        expect(await httpsGet(`${strict.url}/v2/`, ca, good)).to.equal(200);
        const without = await httpsGet(`${strict.url}/v2/`, ca).catch((err: unknown) => err);
        expect(without, 'no client certificate').to.be.instanceOf(Error);
        const stranger = await clientCert('stranger', true);
        const foreign = await httpsGet(`${strict.url}/v2/`, ca, stranger).catch((err: unknown) => err);
        expect(foreign, 'certificate from another CA').to.be.instanceOf(Error);
      } finally {
        await strict.stop();
      }
    });

    it('with clientauth verify-client-cert-if-given, serves clients without one and refuses a bad one', async () => {
      const lenient = await startOurRegistry({
        scheme: 'https',
        config: tlsConfig(pki, { clientcas: [pki.caFile], clientauth: 'verify-client-cert-if-given' }),
      });
      try {
        expect(await httpsGet(`${lenient.url}/v2/`, ca)).to.equal(200);
        expect(await httpsGet(`${lenient.url}/v2/`, ca, await clientCert('good-client-2'))).to.equal(200);
        const foreign = await httpsGet(`${lenient.url}/v2/`, ca, await clientCert('stranger-2', true)).catch((err: unknown) => err);
        expect(foreign, 'certificate from another CA').to.be.instanceOf(Error);
      } finally {
        await lenient.stop();
      }
    });
  });
});
