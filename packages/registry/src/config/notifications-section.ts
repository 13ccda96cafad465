// Reads `notifications` (distribution's webhook endpoints, plus our `queuedirectory`) into
// NotificationsConfig. Header values are credentials (Authorization: Bearer ...): no message shows them.
import { join, resolve } from 'node:path';
import { resolveDefaultRootDirectory } from './default-root.js';
import { listOfStrings, type ConfigSection } from './config-section.js';
import type { NotificationEndpointConfig, NotificationsConfig, StorageConfig } from './registry-config.js';

/** Distribution's defaults (notifications/endpoint.go): a 1s timeout, 10 failures before a 1s backoff. */
export const DEFAULT_NOTIFICATION_TIMEOUT_MS = 1_000;
export const DEFAULT_NOTIFICATION_THRESHOLD = 10;
export const DEFAULT_NOTIFICATION_BACKOFF_MS = 1_000;
/** Below the filesystem root when `queuedirectory` is not set (beside `mirror-spool`, outside docker/registry/v2). */
export const DEFAULT_QUEUE_SUBDIRECTORY = 'notifications';

export const NOTIFICATION_ACTIONS = ['push', 'pull', 'delete', 'mount'] as const;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function readNotifications(root: ConfigSection, storage: StorageConfig): NotificationsConfig {
  const section = root.section('notifications');
  const endpoints: NotificationEndpointConfig[] = [];
  const names = new Set<string>();
  for (const entry of section.sectionList('endpoints')) {
    const endpoint = readEndpoint(entry);
    if (names.has(endpoint.name.toLowerCase())) entry.fail('name', `${JSON.stringify(endpoint.name)} names two endpoints (each has its own queue, named after it)`);
    names.add(endpoint.name.toLowerCase());
    if (entry.bool('disabled') === true) continue;
    endpoints.push(endpoint);
  }
  return { endpoints, queueDirectory: readQueueDirectory(section, storage, endpoints.length > 0), includeReferences: section.section('events').bool('includereferences') ?? false };
}

/**
 * `queuedirectory` as written; else below the filesystem root; else (s3, inmemory) below the directory a
 * filesystem root would default to (/var/lib/registry, or the user's XDG data directory), with a warning:
 * the queue must be on a local disk that outlives the process.
 */
function readQueueDirectory(section: ConfigSection, storage: StorageConfig, needed: boolean): string | undefined {
  const written = section.string('queuedirectory');
  if (written !== undefined && written !== '') return resolve(section.context.cwd, written);
  if (storage.filesystem !== undefined) return resolve(storage.filesystem.rootDirectory, DEFAULT_QUEUE_SUBDIRECTORY);
  if (!needed) return undefined;
  const directory = join(resolveDefaultRootDirectory(section.context.probe), DEFAULT_QUEUE_SUBDIRECTORY);
  section.warn(
    `notifications.queuedirectory is not set: with storage driver ${storage.driver} the notification queues go to ${directory}; set it to a local directory that survives restarts (a volume, in a container)`,
  );
  return directory;
}

function readEndpoint(entry: ConfigSection): NotificationEndpointConfig {
  const name = entry.string('name');
  if (name === undefined || name.trim() === '') return entry.fail('name', 'is required (it names the endpoint in logs, metrics and its queue directory)');
  const url = entry.string('url');
  if (url === undefined || url === '') return entry.fail('url', 'is required (where events are POSTed)');
  if (!isHttpUrl(url)) entry.fail('url', 'must be an http:// or https:// URL');
  const threshold = entry.integer('threshold');
  if (threshold !== undefined && threshold < 0) entry.fail('threshold', `must not be negative, got ${threshold}`);
  const ignore = entry.section('ignore');
  const ignoredActions = ignore.stringList('actions') ?? [];
  for (const action of ignoredActions) {
    if (!(NOTIFICATION_ACTIONS as readonly string[]).includes(action)) {
      entry.warn(`${ignore.keyPath('actions')}: ${JSON.stringify(action)} is not an event action (${NOTIFICATION_ACTIONS.join(', ')}): it ignores nothing`);
    }
  }
  // Zero or less means the default, as in distribution (EndpointConfig.defaults).
  const timeoutMs = entry.duration('timeout');
  const backoffMs = entry.duration('backoff');
  return {
    name,
    url,
    headers: readHeaders(entry),
    timeoutMs: timeoutMs === undefined || timeoutMs <= 0 ? DEFAULT_NOTIFICATION_TIMEOUT_MS : timeoutMs,
    threshold: threshold === undefined || threshold <= 0 ? DEFAULT_NOTIFICATION_THRESHOLD : threshold,
    backoffMs: backoffMs === undefined || backoffMs <= 0 ? DEFAULT_NOTIFICATION_BACKOFF_MS : backoffMs,
    ignoredMediaTypes: [...(entry.stringList('ignoredmediatypes') ?? []), ...(ignore.stringList('mediatypes') ?? [])],
    ignoredActions,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** `headers: {Name: [values]}` as distribution's http.Header; a single string is one value. Values never appear in messages. */
function readHeaders(entry: ConfigSection): Record<string, string[]> {
  const node = entry.child('headers');
  if (node === undefined) return {};
  if (node.kind !== 'map') return entry.fail('headers', 'expected a mapping of header names to lists of values');
  const headers: Record<string, string[]> = {};
  for (const [name, value] of node.entries) {
    if (!HEADER_NAME.test(name)) entry.fail(`headers.${name}`, 'is not a valid header name');
    const values = value.kind === 'scalar' && value.value === null ? [] : listOfStrings(value, `${entry.keyPath('headers')}.${name}`, (p) => entry.fail(`headers.${name}`, p));
    if (values.some((v) => /[\r\n\0]/.test(v))) entry.fail(`headers.${name}`, 'a header value must not contain line breaks');
    headers[name] = values;
  }
  return headers;
}
