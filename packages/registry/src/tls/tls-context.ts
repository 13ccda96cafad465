// The TLS server's certificate, key and client CAs as files that may change under it: read at startup (an
// unreadable file stops startup, naming the key), then checked every second (certbot and other renewals
// replace files or swap symlinks) and put in force with setSecureContext for new connections. A pair that
// cannot be used (unreadable, half written, key not matching the certificate) is logged and the previous
// one stays; the key itself is never logged.
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { readFile, stat } from 'node:fs/promises';
import { CodedError, type Logger } from '@private-registry/core';
import { opensslCiphers } from './cipher-suites.js';

export interface TlsFiles {
  certificate: string;
  key: string;
  clientCas?: string[];
  /** How client certificates are checked when clientCas is set (distribution's names). */
  clientAuth?: 'request-client-cert' | 'require-any-client-cert' | 'verify-client-cert-if-given' | 'require-and-verify-client-cert';
  minimumTls?: SecureVersion;
  /** Go names, as distribution's `http.tls.ciphersuites`. */
  cipherSuites?: string[];
}

/** How often the files are checked for a change. */
const CHECK_MS = 1_000;

async function readTlsFile(key: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CodedError('CONFIG_INVALID', `invalid configuration: ${key}: cannot read ${path} (${code})`, { cause: err });
  }
}

function pathsOf(tls: TlsFiles): string[] {
  return [tls.certificate, tls.key, ...(tls.clientCas ?? [])];
}

/** The secure context options from the files now (throws CONFIG_INVALID naming what it cannot use). */
export async function readSecureContext(tls: TlsFiles): Promise<SecureContextOptions> {
  const [cert, key, ...cas] = await Promise.all([
    readTlsFile('http.tls.certificate', tls.certificate),
    readTlsFile('http.tls.key', tls.key),
    ...(tls.clientCas ?? []).map((path, i) => readTlsFile(`http.tls.clientcas[${i}]`, path)),
  ]);
  const ciphers = opensslCiphers(tls.cipherSuites ?? []);
  const options: SecureContextOptions = { cert, key, minVersion: tls.minimumTls ?? 'TLSv1.2', ...(cas.length > 0 ? { ca: cas } : {}), ...(ciphers ? { ciphers } : {}) };
  try {
    createSecureContext(options);
  } catch (err) {
    const reason = err instanceof Error && /mismatch/i.test(err.message) ? 'the key does not match the certificate' : 'not a usable PEM certificate and key';
    throw new CodedError('CONFIG_INVALID', `invalid configuration: http.tls: ${tls.certificate} and ${tls.key}: ${reason}`, { cause: err });
  }
  return options;
}

async function signatureOf(paths: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    paths.map(async (path) => {
      try {
        const info = await stat(path);
        return `${info.ino}:${info.size}:${info.mtimeMs}`;
      } catch {
        return 'missing';
      }
    }),
  );
  return parts.join('|');
}

/**
 * Watches the files and calls `apply` with new options when they changed and are usable (after they have
 * stayed the same for one check, so a half-written pair is not taken). Returns a function that stops.
 */
export async function watchTlsFiles(tls: TlsFiles, apply: (options: SecureContextOptions) => void, log: Logger): Promise<() => void> {
  const paths = pathsOf(tls);
  let applied = await signatureOf(paths);
  let pending: string | undefined;
  let failed: string | undefined;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const now = await signatureOf(paths);
      if (now === applied || now === failed) {
        pending = undefined;
        return;
      }
      // Changed: wait until it holds still for one check.
      if (pending !== now) {
        pending = now;
        return;
      }
      try {
        apply(await readSecureContext(tls));
        applied = now;
        failed = undefined;
        log.info({ certificate: tls.certificate }, 'TLS certificate reloaded: new connections use it');
      } catch (err) {
        failed = now;
        log.warn({ certificate: tls.certificate, reason: err instanceof Error ? err.message : String(err) }, 'TLS files changed but cannot be used: keeping the previous certificate');
      }
    })().finally(() => {
      busy = false;
    });
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
