// The effective configuration as `config check` prints it: distribution's YAML keys, every default filled
// in, each value followed by a comment saying where it came from (file, flavor NAME, env VAR, default),
// every secret replaced by REDACTED. The text is safe to paste into a ticket.
import { stringify } from 'yaml';
import { isSecretKey } from './config-keys.js';
import { findEntry, isNull, mapNode, scalarNode, type ConfigNode, type MapNode } from './config-tree.js';
import type { LoadedConfig, RegistryConfig } from './registry-config.js';

/** The one marker for a secret wherever configuration is printed. */
export const REDACTED = '<redacted>';

/** The YAML text (no header), ending in a newline. */
export function effectiveConfigYaml(loaded: LoadedConfig): string {
  const tree = withDefaults(structuredClone(loaded.tree), defaultsTree(loaded.config));
  pinRootDirectory(tree, loaded.config);
  const lines: string[] = [];
  emitMap(tree, '', 0, lines);
  return `${lines.join('\n')}\n`;
}

/** A Go duration for a whole number of milliseconds ("168h", "10s", "1m30s"). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

/** What the reader used where the tree is silent, in distribution's keys. */
function defaultsTree(config: RegistryConfig): MapNode {
  const { storage, http, log } = config;
  const purging = storage.maintenance.uploadPurging;
  const tree: Record<string, unknown> = {
    version: config.version,
    log: { level: log.level, formatter: log.formatter, accesslog: { disabled: log.accessLog.disabled } },
    storage: {
      [storage.driver]: storage.filesystem === undefined ? {} : { rootdirectory: storage.filesystem.rootDirectory, maxthreads: storage.filesystem.maxThreads },
      delete: { enabled: storage.delete.enabled },
      redirect: { disable: storage.redirect.disable },
      maintenance: {
        uploadpurging: { enabled: purging.enabled, age: formatDuration(purging.ageMs), interval: formatDuration(purging.intervalMs), dryrun: purging.dryRun },
        readonly: { enabled: storage.maintenance.readOnly.enabled },
      },
      gc: {
        enabled: storage.gc.enabled,
        interval: formatDuration(storage.gc.intervalMs),
        graceperiod: formatDuration(storage.gc.gracePeriodMs),
        deleteuntagged: storage.gc.deleteUntagged,
        dryrun: storage.gc.dryRun,
        lockexpiry: formatDuration(storage.gc.lockExpiryMs),
      },
    },
    http: { addr: http.addr, net: http.net, draintimeout: formatDuration(http.drainTimeoutMs), workers: http.workers, relativeurls: http.relativeUrls },
    catalog: { maxentries: config.catalog.maxEntries },
    tags: { maxtags: config.tags.maxTags },
    ui: { enabled: config.ui.enabled, sessionttl: formatDuration(config.ui.sessionTtlMs) },
  };
  if (config.proxy.upstreams.length > 0) {
    tree.proxy = { tagrevalidate: formatDuration(config.proxy.tagRevalidateMs), timeout: formatDuration(config.proxy.upstreamTimeoutMs) };
  }
  if (config.mail !== undefined) tree.mail = { port: config.mail.port, tls: config.mail.tls, interval: formatDuration(config.mail.intervalMs), insecureskipverify: config.mail.insecureSkipVerify };
  return fromPlain(tree) as MapNode;
}

function fromPlain(value: unknown): ConfigNode {
  if (Array.isArray(value)) return { kind: 'list', items: value.map(fromPlain), origin: 'default' };
  if (value !== null && typeof value === 'object') {
    return { ...mapNode(Object.entries(value).map(([k, v]) => [k, fromPlain(v)])), origin: 'default' };
  }
  return { ...scalarNode(value as string | number | boolean | null), origin: 'default' };
}

/** Adds each default the tree lacks (keys compared case-insensitively), in distribution's order; the tree's own values stay. */
function withDefaults(tree: MapNode, defaults: MapNode): MapNode {
  const ordered = mapNode();
  ordered.origin = tree.origin;
  for (const [key, node] of defaults.entries) {
    const existing = findEntry(tree, key);
    if (existing === undefined || isNull(existing[1])) ordered.entries.set(existing?.[0] ?? key, node);
    else if (existing[1].kind === 'map' && node.kind === 'map') ordered.entries.set(existing[0], withDefaults(existing[1], node));
    else ordered.entries.set(existing[0], existing[1]);
  }
  for (const [key, node] of tree.entries) if (findEntry(ordered, key) === undefined) ordered.entries.set(key, node);
  return ordered;
}

/** The root directory as the registry uses it: absolute, saying what was written when that was relative. */
function pinRootDirectory(tree: MapNode, config: RegistryConfig): void {
  const root = config.storage.filesystem?.rootDirectory;
  const storage = findEntry(tree, 'storage')?.[1];
  const fs = storage?.kind === 'map' ? findEntry(storage, 'filesystem') : undefined;
  if (root === undefined || fs === undefined || fs[1].kind !== 'map') return;
  const entry = findEntry(fs[1], 'rootdirectory');
  if (entry === undefined || entry[1].kind !== 'scalar' || entry[1].text === root) return;
  const origin = `${entry[1].origin ?? 'file'}, ${JSON.stringify(entry[1].text)} from the working directory`;
  fs[1].entries.set(entry[0], { ...scalarNode(root), origin });
}

function emitMap(map: MapNode, path: string, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  for (const [key, node] of map.entries) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const name = /^[A-Za-z0-9_./-]+$/.test(key) ? key : JSON.stringify(key);
    if (node.kind === 'map' && node.entries.size > 0) {
      lines.push(`${pad}${name}:`);
      emitMap(node, childPath, indent + 2, lines);
    } else if (node.kind === 'list' && node.items.length > 0) {
      lines.push(`${pad}${name}:`);
      emitList(node.items, childPath, indent + 2, lines);
    } else lines.push(`${pad}${name}: ${leafText(node, childPath)}${comment(node)}`);
  }
}

function emitList(items: ConfigNode[], path: string, indent: number, lines: string[]): void {
  const pad = ' '.repeat(indent);
  items.forEach((item, i) => {
    const itemPath = `${path}.${i}`;
    if (item.kind === 'map' && item.entries.size > 0) {
      const nested: string[] = [];
      emitMap(item, itemPath, indent + 2, nested);
      nested[0] = `${pad}- ${(nested[0] ?? '').slice(indent + 2)}`;
      lines.push(...nested);
    } else if (item.kind === 'list' && item.items.length > 0) {
      lines.push(`${pad}-`);
      emitList(item.items, itemPath, indent + 2, lines);
    } else lines.push(`${pad}- ${leafText(item, itemPath)}${comment(item)}`);
  });
}

function comment(node: ConfigNode): string {
  return `  # ${node.origin ?? 'file'}`;
}

function leafText(node: ConfigNode, path: string): string {
  if (node.kind === 'map') return '{}';
  if (node.kind === 'list') return '[]';
  if (node.value === null) return 'null';
  if (isSecretKey(path) && node.text !== '') return REDACTED;
  if (typeof node.value !== 'string') return node.text;
  const text = redactUrlPassword(node.value);
  // JSON strings are YAML; a block scalar would not leave room for the origin comment.
  if (/[\r\n]/.test(text)) return JSON.stringify(text);
  return stringify(text, { version: '1.1', lineWidth: 0 }).trimEnd();
}

/** A URL's password (https://user:pass@host) is a secret whatever its key is called. */
export function redactUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*:)[^/@\s]*@/i, `$1${REDACTED}@`);
}
