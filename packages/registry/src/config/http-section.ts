// Reads `http` into HttpConfig: listen address, prefix, external host, secret, TLS, headers, debug server.
import {
  DEFAULT_CLIENT_AUTH,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HTTP_ADDR,
  DEFAULT_MINIMUM_TLS,
  DEFAULT_PROMETHEUS_PATH,
  MAX_WORKERS,
  defaultWorkers,
} from './config-defaults.js';
import { listOfStrings, type ConfigSection } from './config-section.js';
import { parseHostPort } from './listen-address.js';
import type { DebugConfig, HttpConfig, ListenAddress, TlsClientAuth, TlsConfig } from './registry-config.js';

const CLIENT_AUTH: readonly TlsClientAuth[] = [
  'request-client-cert',
  'require-any-client-cert',
  'verify-client-cert-if-given',
  'require-and-verify-client-cert',
];
const TLS_VERSIONS = ['tls1.2', 'tls1.3'] as const;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function readHttp(root: ConfigSection): HttpConfig {
  const http = root.section('http');
  const net = http.choice('net', ['tcp', 'unix'] as const) ?? 'tcp';
  const written = http.string('addr');
  const addrIsDefault = written === undefined || written === '';
  if (addrIsDefault && net === 'unix') http.fail('addr', 'a socket path is required when http.net is "unix"');
  const addr = addrIsDefault ? DEFAULT_HTTP_ADDR : written;
  const listen: ListenAddress = net === 'unix' ? { net, path: addr } : tcpListen(http, 'addr', addr);
  const secret = http.string('secret');
  return {
    addr,
    addrIsDefault,
    net,
    listen,
    prefix: readPrefix(http),
    host: readHost(http),
    secret: secret === '' ? undefined : secret,
    relativeUrls: http.bool('relativeurls') ?? false,
    drainTimeoutMs: http.duration('draintimeout') ?? DEFAULT_DRAIN_TIMEOUT_MS,
    workers: readWorkers(http),
    tls: readTls(http.section('tls')),
    headers: readHeaders(http),
    debug: readDebug(http.section('debug')),
  };
}

/** Our extension: processes serving the port; the number of cores unless told, 1 for a single process. */
function readWorkers(http: ConfigSection): number {
  const workers = http.integer('workers') ?? defaultWorkers();
  if (workers < 1 || workers > MAX_WORKERS) http.fail('workers', `must be between 1 (one process) and ${MAX_WORKERS}`);
  return workers;
}

function tcpListen(section: ConfigSection, name: string, addr: string): ListenAddress {
  const parsed = parseHostPort(addr);
  if (parsed === undefined) section.fail(name, `${JSON.stringify(addr)} is not a host:port (e.g. ":5000", "127.0.0.1:5000", "[::1]:5000")`);
  return { net: 'tcp', ...parsed };
}

/** Distribution wants "/path/"; we add a missing trailing slash, and "/" means no prefix. */
function readPrefix(http: ConfigSection): string {
  const prefix = http.string('prefix') ?? '';
  if (prefix === '' || prefix === '/') return '';
  if (!prefix.startsWith('/')) http.fail('prefix', `${JSON.stringify(prefix)} must start with "/"`);
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function readHost(http: ConfigSection): string | undefined {
  const host = http.string('host');
  if (host === undefined || host === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(host);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    http.fail('host', `${JSON.stringify(host)} is not an absolute http(s) URL (e.g. "https://registry.example.com")`);
  }
  return host;
}

function readTls(tls: ConfigSection): TlsConfig | undefined {
  if (!tls.present) return undefined;
  const certificate = tls.string('certificate') || undefined;
  const key = tls.string('key') || undefined;
  const clientCas = tls.stringList('clientcas') ?? [];
  const clientAuth = tls.choice('clientauth', CLIENT_AUTH) ?? DEFAULT_CLIENT_AUTH;
  const minimumTls = tls.choice('minimumtls', TLS_VERSIONS) ?? DEFAULT_MINIMUM_TLS;
  if ((certificate === undefined) !== (key === undefined)) tls.fail('', 'certificate and key must both be set');
  if (certificate === undefined || key === undefined) {
    // Distribution would serve TLS from Let's Encrypt; starting in plain HTTP instead is never what was meant.
    if (tls.child('letsencrypt') !== undefined) {
      tls.fail('letsencrypt', "Let's Encrypt is not supported yet; set http.tls.certificate and http.tls.key");
    }
    if (clientCas.length > 0) tls.warn('http.tls.clientcas is ignored: TLS is off without http.tls.certificate and http.tls.key');
    return undefined;
  }
  const cipherSuites = tls.stringList('ciphersuites') ?? [];
  return { certificate, key, clientCas, clientAuth, minimumTls, cipherSuites };
}

function readHeaders(http: ConfigSection): Record<string, string[]> {
  const node = http.child('headers');
  if (node === undefined) return {};
  if (node.kind !== 'map') http.fail('headers', 'expected a mapping of header names to lists of values');
  const headers: Record<string, string[]> = {};
  for (const [name, value] of node.entries) {
    const path = `${http.keyPath('headers')}.${name}`;
    if (!HEADER_NAME.test(name)) http.fail(`headers.${name}`, 'is not a valid header name');
    const values = value.kind === 'scalar' && value.value === null ? [] : listOfStrings(value, path, (p) => http.fail(`headers.${name}`, p));
    if (values.some((v) => /[\r\n\0]/.test(v))) http.fail(`headers.${name}`, 'a header value must not contain line breaks');
    headers[name] = values;
  }
  return headers;
}

function readDebug(debug: ConfigSection): DebugConfig | undefined {
  if (!debug.present) return undefined;
  const addr = debug.string('addr');
  if (addr === undefined || addr === '') {
    debug.warn('http.debug.addr is not set: the debug server is off');
    return undefined;
  }
  const prometheus = debug.section('prometheus');
  const path = prometheus.string('path') || DEFAULT_PROMETHEUS_PATH;
  if (!path.startsWith('/')) prometheus.fail('path', `${JSON.stringify(path)} must start with "/"`);
  const enabled = prometheus.bool('enabled') ?? false;
  // Read for distribution's configs; the debug listener serves the metrics whenever it runs (docs/metrics.md).
  return {
    addr,
    listen: tcpListen(debug, 'addr', addr),
    prometheus: { enabled, path },
  };
}
