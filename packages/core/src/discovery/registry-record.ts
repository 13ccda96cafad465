// The discovery record: what a sidekick puts under its key and a host agent reads back. JSON, one object.

import { CodedError } from '../coded-error.js';
import { isRegistryId } from './registry-key.js';

export type RegistryScheme = 'http' | 'https';

export interface RegistryRecord {
  /** The key suffix; unique per registry instance (default `host:port`). */
  id: string;
  /** How clients reach the registry: `http://10.0.0.5:5000`. */
  url: string;
  scheme: RegistryScheme;
  /** Host name or IP address clients use, without brackets for IPv6. */
  host: string;
  port: number;
  /** The announcing machine's host name. */
  hostname: string;
  /** /etc/machine-id of the announcing machine, when it has one. */
  machineId?: string;
  /** Version of the registry (from its `/v2/` answer) or of the sidekick. */
  version: string;
  /** ISO 8601 time the announcement began. */
  startedAt: string;
  zone?: string;
  labels?: Record<string, string>;
}

/** `host:port` as a Docker reference prefix wants it (IPv6 in brackets). */
export function registryAddress(record: Pick<RegistryRecord, 'host' | 'port'>): string {
  return record.host.includes(':') ? `[${record.host}]:${record.port}` : `${record.host}:${record.port}`;
}

export function registryUrl(scheme: RegistryScheme, host: string, port: number): string {
  return `${scheme}://${registryAddress({ host, port })}`;
}

export function serializeRegistryRecord(record: RegistryRecord): string {
  return JSON.stringify(record);
}

/** Parses and checks a record read from etcd. Unknown fields are ignored, so newer sidekicks stay readable. */
export function parseRegistryRecord(text: string): RegistryRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('is not a JSON object');
  const raw = value as Record<string, unknown>;
  const id = requireString(raw, 'id');
  if (!isRegistryId(id)) throw invalid(`has an invalid id "${id}"`);
  const scheme = requireString(raw, 'scheme');
  if (scheme !== 'http' && scheme !== 'https') throw invalid(`has scheme "${scheme}", not http or https`);
  const host = requireString(raw, 'host');
  if (host === '' || /[\s/]/.test(host)) throw invalid(`has an invalid host "${host}"`);
  const port = raw['port'];
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid('has no valid port');
  const record: RegistryRecord = {
    id,
    url: requireString(raw, 'url'),
    scheme,
    host,
    port,
    hostname: requireString(raw, 'hostname'),
    version: requireString(raw, 'version'),
    startedAt: requireString(raw, 'startedAt'),
  };
  const machineId = optionalString(raw, 'machineId');
  if (machineId !== undefined) record.machineId = machineId;
  const zone = optionalString(raw, 'zone');
  if (zone !== undefined) record.zone = zone;
  const labels = raw['labels'];
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw invalid('has labels that are not an object');
    const entries = Object.entries(labels as Record<string, unknown>);
    if (entries.some(([, v]) => typeof v !== 'string')) throw invalid('has a label whose value is not a string');
    record.labels = Object.fromEntries(entries) as Record<string, string>;
  }
  return record;
}

function requireString(raw: Record<string, unknown>, field: string): string {
  const value = raw[field];
  if (typeof value !== 'string') throw invalid(`has no string "${field}"`);
  return value;
}

function optionalString(raw: Record<string, unknown>, field: string): string | undefined {
  const value = raw[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`has a "${field}" that is not a string`);
  return value;
}

function invalid(what: string): CodedError {
  return new CodedError('RECORD_INVALID', `registry record ${what}`);
}
