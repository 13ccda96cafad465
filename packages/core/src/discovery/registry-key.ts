// The etcd key schema of the discovery protocol: one key per announced registry, `<prefix><id>`.

import { CodedError } from '../coded-error.js';

export const DEFAULT_DISCOVERY_PREFIX = '/services/docker-registry/';

/** The prefix with exactly one trailing slash, so `/a` never matches `/ab/...`. Throws on an empty or relative prefix. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim();
  if (!trimmed.startsWith('/')) throw new CodedError('PREFIX_INVALID', `discovery prefix "${prefix}" must start with "/"`);
  return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

const ID_PATTERN = /^[A-Za-z0-9._:[\]@-]{1,253}$/;

/** An id is one key segment: letters, digits and `. _ : - @ [ ]` (so `host:port` and `[::1]:5000` fit), no `/`. */
export function isRegistryId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function registryKey(prefix: string, id: string): string {
  if (!isRegistryId(id)) throw new CodedError('RECORD_INVALID', `registry id "${id}" may hold only letters, digits and . _ : - @ [ ]`);
  return `${normalizePrefix(prefix)}${id}`;
}

/** The id a key names, or undefined when the key is not directly under the prefix. */
export function idFromKey(prefix: string, key: string): string | undefined {
  const normalized = normalizePrefix(prefix);
  if (!key.startsWith(normalized)) return undefined;
  const id = key.slice(normalized.length);
  return isRegistryId(id) ? id : undefined;
}
