// Turns the `run` command's raw flag values (commander's camel-cased strings, already merged with their
// environment variables) into one checked, typed options object. Every message names the flag at fault.

import { isIP } from 'node:net';
import { DEFAULT_DISCOVERY_PREFIX, isRegistryId, normalizeLevel, normalizePrefix, registryAddress, registryKey, type RegistryScheme } from '@private-registry/core';
import { etcdSettingsFromFlags, type EtcdSettings } from '@private-registry/core/etcd';
import { detectHostAddress } from './host-address.js';
import { optionError } from './sidekick-error.js';

export const DEFAULT_TTL_SECONDS = 10;
export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;
/** Consecutive failed probes before withdrawing: one lost probe (a GC pause, a slow answer) is not an outage. */
export const DEFAULT_UNHEALTHY_AFTER = 2;
/**
 * Consecutive good probes before a withdrawn registry is announced again, probed every RECOVERY_INTERVAL_MS:
 * about 9 s of uninterrupted answers, so a registry that keeps crashing stays out.
 */
export const DEFAULT_HEALTHY_AFTER = 10;
export const RECOVERY_INTERVAL_MS = 1_000;

export interface AdvertisedAddress {
  /** Without brackets for IPv6. */
  host: string;
  port: number;
}

export interface SidekickOptions {
  /** Where the sidekick probes the registry: `scheme://host[:port]`, no path. */
  registryUrl: string;
  /** CA bundle that signed an https registry's certificate (path). */
  registryCaFile?: string;
  /** Skip certificate verification of an https registry. */
  registryInsecure: boolean;
  /** What clients are told: the address in the record. */
  advertise: AdvertisedAddress;
  /** The scheme in the record (from the registry URL unless --scheme says otherwise, e.g. TLS at a proxy). */
  scheme: RegistryScheme;
  id: string;
  prefix: string;
  /** `<prefix><id>`: the key announced. */
  key: string;
  ttlSeconds: number;
  /** Between probes and between keepalives. */
  intervalMs: number;
  probeTimeoutMs: number;
  /** Consecutive failed probes that withdraw an announced registry. */
  unhealthyAfter: number;
  /** Consecutive good probes that announce a withdrawn registry again (the first announcement needs one). */
  healthyAfter: number;
  zone?: string;
  labels: Record<string, string>;
  logLevel: string;
  etcd: EtcdSettings;
}

/**
 * Parses the values commander collected for `run` (flags and their environment variables). An empty host in
 * --registry-url or --advertise (`http://:5000`, `:5000`: a unit's address variable was unset) is this host's
 * address, found by `detectAddress`.
 */
export function parseSidekickOptions(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  detectAddress: () => string | undefined = detectHostAddress,
): SidekickOptions {
  const hostless = new HostlessFill(detectAddress);
  const registry = parseRegistryUrl(hostless.url(stringFlag(flags, 'registryUrl')));
  const advertiseText = stringFlag(flags, 'advertise');
  if (advertiseText === undefined) throw optionError('--advertise (or SIDEKICK_ADVERTISE) is required: the HOST:PORT clients use to reach the registry');
  const advertise = parseAdvertise(hostless.advertise(advertiseText));
  const scheme = parseScheme(stringFlag(flags, 'scheme'), registry.scheme);

  const id = stringFlag(flags, 'id') ?? registryAddress(advertise);
  if (!isRegistryId(id)) throw optionError(`--id "${id}" may hold only letters, digits and . _ : - @ [ ] (at most 253)`);
  const prefix = parsePrefix(stringFlag(flags, 'prefix') ?? DEFAULT_DISCOVERY_PREFIX);

  const ttlSeconds = parseTtl(stringFlag(flags, 'ttl'));
  const ttlMs = ttlSeconds * 1000;
  const intervalText = stringFlag(flags, 'interval');
  const intervalMs = intervalText === undefined ? Math.round(ttlMs / 3) : parseDuration('--interval', intervalText);
  if (intervalMs >= ttlMs) throw optionError(`--interval ${intervalMs}ms must be shorter than --ttl ${ttlSeconds}s, or the lease expires between keepalives`);
  const timeoutText = stringFlag(flags, 'probeTimeout');
  const probeTimeoutMs = timeoutText === undefined ? Math.min(DEFAULT_PROBE_TIMEOUT_MS, intervalMs) : parseDuration('--probe-timeout', timeoutText);
  if (probeTimeoutMs + intervalMs >= ttlMs) {
    throw optionError(
      `--probe-timeout ${probeTimeoutMs}ms plus --interval ${intervalMs}ms must stay under --ttl ${ttlSeconds}s, or a slow probe delays the keepalive past the TTL`,
    );
  }

  const options: SidekickOptions = {
    registryUrl: registry.url,
    registryInsecure: booleanFlag(flags, 'registryInsecure', env['SIDEKICK_REGISTRY_INSECURE'], '--registry-insecure'),
    advertise,
    scheme,
    id,
    prefix,
    key: registryKey(prefix, id),
    ttlSeconds,
    intervalMs,
    probeTimeoutMs,
    unhealthyAfter: parseCount('--unhealthy-after', stringFlag(flags, 'unhealthyAfter'), DEFAULT_UNHEALTHY_AFTER),
    healthyAfter: parseCount('--healthy-after', stringFlag(flags, 'healthyAfter'), DEFAULT_HEALTHY_AFTER),
    labels: parseLabels(flags['label']),
    logLevel: parseLogLevel(stringFlag(flags, 'logLevel')),
    etcd: etcdSettingsFromFlags(flags, env),
  };
  const caFile = stringFlag(flags, 'registryCa');
  if (caFile !== undefined) {
    if (registry.scheme !== 'https') throw optionError(`--registry-ca is for an https --registry-url; ${registry.url} is http`);
    options.registryCaFile = caFile;
  }
  const zone = stringFlag(flags, 'zone');
  if (zone !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(zone)) throw optionError(`--zone "${zone}" may hold only letters, digits and . _ - (at most 63)`);
    options.zone = zone;
  }
  return options;
}

/** Fills an empty host in --registry-url / --advertise with this host's address, detected once. */
class HostlessFill {
  private address: string | undefined;

  constructor(private readonly detect: () => string | undefined) {}

  url(text: string | undefined): string | undefined {
    const match = text === undefined ? null : /^(https?:\/\/):(\d+)\/?$/.exec(text);
    return match === null ? text : `${match[1]}${this.host(`--registry-url "${text}"`)}:${match[2]}`;
  }

  advertise(text: string): string {
    const match = /^:(\d+)$/.exec(text);
    return match === null ? text : `${this.host(`--advertise "${text}"`)}:${match[1]}`;
  }

  private host(what: string): string {
    this.address ??= this.detect();
    if (this.address === undefined) {
      throw optionError(`${what} has no host, and this host has no IPv4 address to use: set COREOS_PRIVATE_IPV4 (fleet units) or REGISTRY_ADVERTISE_HOST (systemd units)`);
    }
    return this.address;
  }
}

/** `HOST:PORT` or `[IPv6]:PORT`, a name or address clients can reach. */
export function parseAdvertise(text: string): AdvertisedAddress {
  const trimmed = text.trim();
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(trimmed);
  let host: string;
  let portText: string;
  if (bracketed !== null) {
    host = bracketed[1] ?? '';
    portText = bracketed[2] ?? '';
    if (isIP(host) !== 6) throw optionError(`--advertise "${text}": only an IPv6 address goes in brackets`);
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon <= 0) throw optionError(`--advertise "${text}" is not HOST:PORT (IPv6 as [ADDRESS]:PORT)`);
    host = trimmed.slice(0, colon);
    portText = trimmed.slice(colon + 1);
    if (host.includes(':')) throw optionError(`--advertise "${text}": write an IPv6 address in brackets, [ADDRESS]:PORT`);
    if (isIP(host) === 0 && !isHostName(host)) throw optionError(`--advertise "${text}": "${host}" is not a host name or IP address`);
  }
  if (host === '0.0.0.0' || host === '::') throw optionError(`--advertise "${text}": ${host} is a listen address, not one clients can reach`);
  return { host, port: parsePort(text, portText) };
}

function parsePort(text: string, portText: string): number {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw optionError(`--advertise "${text}" has no port between 1 and 65535`);
  return port;
}

function isHostName(host: string): boolean {
  return host.length <= 253 && /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host);
}

function parseRegistryUrl(text: string | undefined): { url: string; scheme: RegistryScheme } {
  if (text === undefined) throw optionError('--registry-url (or REGISTRY_URL) is required: where the sidekick probes the registry, e.g. http://127.0.0.1:5000');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw optionError(`--registry-url "${text}" is not a URL such as http://127.0.0.1:5000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw optionError(`--registry-url "${text}" must be http:// or https://`);
  if (url.username !== '' || url.password !== '') throw optionError('--registry-url must not carry credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw optionError(`--registry-url "${text}" must be scheme://host[:port] without a path (the probe asks for /v2/)`);
  }
  return { url: url.origin, scheme: url.protocol === 'https:' ? 'https' : 'http' };
}

function parseScheme(text: string | undefined, fallback: RegistryScheme): RegistryScheme {
  if (text === undefined) return fallback;
  if (text !== 'http' && text !== 'https') throw optionError(`--scheme "${text}" must be http or https`);
  return text;
}

function parsePrefix(text: string): string {
  try {
    return normalizePrefix(text);
  } catch {
    throw optionError(`--prefix "${text}" must start with "/"`);
  }
}

function parseTtl(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TTL_SECONDS;
  const match = /^(\d+)s?$/.exec(text.trim());
  const seconds = match === null ? NaN : Number(match[1]);
  if (!(seconds >= 2 && seconds <= 3600)) throw optionError(`--ttl "${text}" must be a whole number of seconds from 2 to 3600`);
  return seconds;
}

/** Seconds (`0.5`, `2`) or with a unit (`500ms`, `2s`), as milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  const value = match === null ? NaN : Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  if (!(value >= 1) || !Number.isFinite(value)) throw optionError(`${flag} "${text}" is not a duration such as 2, 0.5, 2s or 500ms`);
  return Math.round(value);
}

function parseCount(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(value >= 1 && value <= 100)) throw optionError(`${flag} "${text}" must be a whole number from 1 to 100`);
  return value;
}

/** Labels from repeated --label flags; each value may also be a comma-separated list (SIDEKICK_LABELS=a=1,b=2). */
function parseLabels(raw: unknown): Record<string, string> {
  const items = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((item) => String(item).split(','));
  const labels: Record<string, string> = {};
  for (const item of items.map((i) => i.trim()).filter((i) => i !== '')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    if (eq === -1 || !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/.test(key)) {
      throw optionError(`--label "${item}" is not KEY=VALUE with a key of letters, digits and . _ / -`);
    }
    labels[key] = item.slice(eq + 1);
  }
  return labels;
}

function parseLogLevel(text: string | undefined): string {
  try {
    return normalizeLevel(text ?? 'info');
  } catch {
    throw optionError(`--log-level "${text ?? ''}" is not one of fatal, error, warn, info, debug, trace, silent`);
  }
}

/** A boolean flag, or its variable when the flag is absent: 1/true/yes or 0/false/no (commander would take any value as true). */
function booleanFlag(flags: Record<string, unknown>, key: string, envValue: string | undefined, flag: string): boolean {
  if (flags[key] === true) return true;
  if (envValue === undefined || envValue === '') return false;
  const lower = envValue.trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(lower)) return true;
  if (['0', 'false', 'no'].includes(lower)) return false;
  throw optionError(`${flag}: SIDEKICK_${flag.slice(2).toUpperCase().replace(/-/g, '_')}="${envValue}" is not true or false`);
}

function stringFlag(flags: Record<string, unknown>, key: string): string | undefined {
  const value = flags[key];
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}
