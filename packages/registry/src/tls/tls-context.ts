// The TLS server's certificate, key and client CAs as files that may change under it: read at startup (an
// unreadable file stops startup, naming the key), then re-read when they change (certbot and other renewals
// replace files or swap symlinks) and put in force with setSecureContext for new connections. A pair that
// cannot be used (unreadable, half written, key not matching the certificate) is logged and the previous
// one stays; the key itself is never logged.
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/** After a change is seen in a watched directory: wait this long, then check (renewals write several files). */
const SETTLE_MS = 250;
/** The fallback when directory events do not come (network file systems, inotify limits, moved directories). */
const POLL_MS = 3_000;

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
 * The directories whose entries change when a file is renewed: each file's own directory (a rename over it,
 * certbot swapping the `live/` symlink) and the directory its symlinks lead to now (`archive/`).
 */
async function directoriesOf(paths: readonly string[]): Promise<string[]> {
  const dirs = new Set<string>();
  for (const path of paths) {
    dirs.add(dirname(path));
    try {
      dirs.add(dirname(await realpath(path)));
    } catch {
      // Missing now: its own directory is watched, and the poll covers the rest.
    }
  }
  return [...dirs];
}

function watchDirectory(dir: string, changed: () => void): FSWatcher | undefined {
  try {
    const watcher = watch(dir, { persistent: false }, changed);
    // A directory that goes away (or a watch the system withdraws) leaves the poll to notice changes.
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return undefined;
  }
}

export interface TlsWatchOptions {
  /** How often the files are checked without a directory event (default 3 s). */
  pollMs?: number;
  /** No directory events, only the poll (tests of the fallback). */
  pollOnly?: boolean;
}

/**
 * Watches the files and calls `apply` with new options when they changed and are usable (after they have
 * stayed the same between two checks, so a half-written pair is not taken). A change is noticed through
 * directory events (checked SETTLE_MS later) or, failing those, the poll every POLL_MS; both compare inode,
 * size and mtime of what each path leads to. Returns a function that stops.
 */
export async function watchTlsFiles(tls: TlsFiles, apply: (options: SecureContextOptions) => void, log: Logger, options: TlsWatchOptions = {}): Promise<() => void> {
  const paths = pathsOf(tls);
  const pollMs = options.pollMs ?? POLL_MS;
  let applied = await signatureOf(paths);
  let pending: string | undefined;
  let failed: string | undefined;
  let busy = false;
  let again = false;
  let settle: NodeJS.Timeout | undefined;
  let stopped = false;

  const check = async (): Promise<void> => {
    const now = await signatureOf(paths);
    if (now === applied || now === failed) {
      pending = undefined;
      return;
    }
    // Changed: take it only once it holds still between two checks.
    if (pending !== now) {
      pending = now;
      schedule();
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
  };
  const run = (): void => {
    if (stopped) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    void check().finally(() => {
      busy = false;
      if (again) {
        again = false;
        schedule();
      }
    });
  };
  // Debounced: a burst of events (cert, key, symlinks) gives one check SETTLE_MS after the last.
  function schedule(): void {
    if (stopped) return;
    clearTimeout(settle);
    settle = setTimeout(run, SETTLE_MS);
    settle.unref();
  }

  const watchers = options.pollOnly === true ? [] : (await directoriesOf(paths)).map((dir) => watchDirectory(dir, schedule)).filter((w): w is FSWatcher => w !== undefined);
  const poll = setInterval(run, pollMs);
  poll.unref();
  return () => {
    stopped = true;
    clearInterval(poll);
    clearTimeout(settle);
    for (const watcher of watchers) watcher.close();
  };
}
