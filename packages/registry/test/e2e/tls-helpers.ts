// Certificates made with the real openssl for the TLS suites (server certificates for 127.0.0.1, a CA and
// client certificates signed by it), and a TLS client that reports what it negotiated.
import { X509Certificate } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import tls from 'node:tls';
import { runChecked } from '@private-registry/testbed';

export interface CertPair {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as node prints it (AA:BB:...). */
  fingerprint: string;
}

/** A self-signed EC certificate for 127.0.0.1 (written as `<name>.crt` and `<name>.key` in `dir`). */
export async function serverCertificate(dir: string, name: string): Promise<CertPair> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { cert, key, fingerprint: await fingerprintOf(cert) };
}

export async function fingerprintOf(certPath: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return new X509Certificate(await readFile(certPath)).fingerprint256;
}

/** A CA, and a client certificate with CN `user` signed by it. */
export async function clientCertificate(dir: string, user: string): Promise<{ ca: string; cert: string; key: string }> {
  const ca = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await runChecked('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=test client CA']);
  const key = join(dir, `${user}.key`);
  const csr = join(dir, `${user}.csr`);
  const cert = join(dir, `${user}.crt`);
  await runChecked('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${user}`]);
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await runChecked('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', join(dir, 'client.ext')]);
  return { ca, cert, key };
}

/** Replaces `target` by `source` the way renewals do: write beside, then rename over. */
export async function replaceFile(source: string, target: string): Promise<void> {
  const { copyFile } = await import('node:fs/promises');
  await copyFile(source, `${target}.new`);
  await rename(`${target}.new`, target);
}

export interface Handshake {
  fingerprint: string;
  cipher: string;
  protocol: string | null;
}

/** A fresh TLS connection to 127.0.0.1:port: what the server presented and what was negotiated. */
export function handshake(port: number, options: tls.ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
      const result = { fingerprint: socket.getPeerCertificate().fingerprint256, cipher: socket.getCipher().name, protocol: socket.getProtocol() };
      socket.end();
      resolve(result);
    });
    socket.once('error', reject);
  });
}

/** GET over https with the given TLS options (and agent), resolving status and body. */
export function httpsGet(port: number, path: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), fingerprint }));
    });
    req.once('error', reject);
    req.end();
  });
}
