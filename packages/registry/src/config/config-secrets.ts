// A copy of a RegistryConfig that is safe to print (e.g. a "show config" command): secret values
// (http.secret, S3 keys, passwords in sections kept raw, a password inside a URL, webhook header values) replaced by a marker.
import { isSecretKey } from './config-keys.js';
import { REDACTED, redactUrlPassword } from './effective-config.js';
import type { RegistryConfig } from './registry-config.js';

export { REDACTED };

export function redactConfig(config: RegistryConfig): RegistryConfig {
  return {
    ...config,
    http: { ...config.http, secret: config.http.secret === undefined ? undefined : REDACTED },
    storage: { ...config.storage, s3: config.storage.s3 === undefined ? undefined : redactTree(config.storage.s3, 'storage.s3') },
    raw: redactTree(config.raw, ''),
    ui: config.ui.discovery?.password === undefined ? config.ui : { ...config.ui, discovery: { ...config.ui.discovery, password: REDACTED } },
    mail: config.mail === undefined ? undefined : { ...config.mail, password: config.mail.password === undefined ? undefined : REDACTED },
    notifications: {
      ...config.notifications,
      endpoints: config.notifications.endpoints.map((endpoint) => ({
        ...endpoint,
        url: redactUrlPassword(endpoint.url),
        headers: Object.fromEntries(Object.keys(endpoint.headers).map((name) => [name, [REDACTED]])),
      })),
    },
  };
}

function redactTree(value: Record<string, unknown>, path: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, path === '' ? k : `${path}.${k}`)]));
}

function redactValue(value: unknown, path: string): unknown {
  if (value === null || value === undefined) return value;
  if (isSecretKey(path) && typeof value !== 'object') return REDACTED;
  if (Array.isArray(value)) return value.map((v, i) => redactValue(v, `${path}.${i}`));
  if (typeof value === 'object') return redactTree(value as Record<string, unknown>, path);
  return typeof value === 'string' ? redactUrlPassword(value) : value;
}
