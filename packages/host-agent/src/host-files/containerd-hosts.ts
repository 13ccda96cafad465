// containerd's hosts config for docker.io (/etc/containerd/certs.d/docker.io/hosts.toml): our registry as the
// first [host] to pull and resolve from, docker.io's own server behind it. A file we created is ours (rewritten,
// deleted on removal). Into anyone else's we insert only our [host] table, as lines of text before its first
// [host] table (containerd tries hosts in file order), and take exactly those lines out again: the operator's
// comments, order and layout stay byte for byte. smol-toml only checks that the file is, and stays, valid TOML.

import { parse, TomlError } from 'smol-toml';
import { HostFileError } from './host-file-error.js';
import type { WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import type { MirrorTarget } from './mirror-target.js';
import { recordBoolean, recordString, SingleFileWriter, type FilePlan, type PlanPlace } from './single-file-writer.js';

export const DEFAULT_CONTAINERD_HOSTS_PATH = '/etc/containerd/certs.d/docker.io/hosts.toml';

/** The first line of a file we own; delete it to make the file yours (the agent then only merges). */
export const CONTAINERD_MARKER = '# Managed by registry-host-agent: rewritten on every change, deleted when no registry is announced.';

const DOCKER_HUB_SERVER = 'https://registry-1.docker.io';
// A mirror only serves pulls: no "push", so a push to docker.io never lands on our registry by accident.
const CAPABILITIES = ['pull', 'resolve'];

export interface ContainerdHostsRecord {
  path: string;
  /** Our [host."<url>"] key. */
  host: string;
  /** True when the file is ours (we created it, it starts with CONTAINERD_MARKER). */
  ownedFile: boolean;
  /** In a foreign file: whether we added the host table (false: it was there already, removal leaves it). */
  hostAdded: boolean;
  /** In a foreign file: the exact text we inserted (older agents' records lack it: removal finds the table by its header). */
  block?: string;
}

type TomlTable = Record<string, unknown>;

export class ContainerdHostsWriter extends SingleFileWriter<ContainerdHostsRecord> {
  readonly name = 'containerd';

  constructor(options: { root: HostRoot; path?: string }) {
    super({ root: options.root, path: options.path ?? DEFAULT_CONTAINERD_HOSTS_PATH });
  }

  protected parseRecord(record: WriterRecord): ContainerdHostsRecord {
    return {
      path: recordString(this.name, record, 'path'),
      host: recordString(this.name, record, 'host'),
      ownedFile: recordBoolean(this.name, record, 'ownedFile'),
      hostAdded: recordBoolean(this.name, record, 'hostAdded'),
      ...(typeof record['block'] === 'string' ? { block: record['block'] } : {}),
    };
  }

  protected plan(current: string | undefined, next: MirrorTarget | null, previous: ContainerdHostsRecord | undefined, { path, file }: PlanPlace): FilePlan<ContainerdHostsRecord> {
    // The marker, not the record, decides: a lost state file must not turn our file into a foreign one.
    if (current === undefined || isOurs(current)) {
      if (next === null) return { content: undefined, record: undefined };
      return { content: ownedHostsToml(next), record: { path, host: next.url, ownedFile: true, hostAdded: true } };
    }

    const hosts = hostTables(parseHostsToml(current, file), file);
    let text = current;
    if (previous !== undefined && !previous.ownedFile && previous.hostAdded) text = removeHostBlock(text, previous);
    let record: ContainerdHostsRecord | undefined;
    if (next !== null) {
      if (hosts[next.url] !== undefined && !(previous?.hostAdded === true && previous.host === next.url)) {
        // The operator lists our registry already: left as they wrote it (and where).
        record = { path, host: next.url, ownedFile: false, hostAdded: false };
      } else {
        const inserted = insertHostBlock(text, hostBlock(next));
        text = inserted.text;
        record = { path, host: next.url, ownedFile: false, hostAdded: true, block: inserted.lines };
      }
    }
    if (text !== current) parseHostsToml(text, file); // never leave a file containerd cannot read
    return { content: text, record };
  }

  protected describe(current: string | undefined, previous: ContainerdHostsRecord | undefined, { file }: PlanPlace): Record<string, unknown> {
    if (current === undefined) return { ours: previous?.host, present: false };
    let hosts: string[];
    try {
      hosts = Object.keys(hostTables(parseHostsToml(current, file), file));
    } catch (err) {
      return { valid: false, error: (err as Error).message };
    }
    return {
      valid: true,
      ownedFile: isOurs(current),
      hosts,
      ours: previous?.host,
      present: previous !== undefined && hosts.includes(previous.host),
      first: previous !== undefined && hosts[0] === previous.host,
    };
  }
}

/** The whole file when it is ours: readable, with the marker first. */
export function ownedHostsToml(target: MirrorTarget): string {
  return [
    CONTAINERD_MARKER,
    '# docker.io pulls try the registry announced in etcd first, then Docker Hub.',
    `server = ${tomlString(DOCKER_HUB_SERVER)}`,
    '',
    `[host.${tomlString(target.url)}]`,
    `  capabilities = [${CAPABILITIES.map(tomlString).join(', ')}]`,
    '',
  ].join('\n');
}

/** Our table as lines of text, with a comment that says whose it is; ends with a blank line. */
function hostBlock(target: MirrorTarget): string {
  return [`# Added by registry-host-agent (removed when no registry is announced):`, `[host.${tomlString(target.url)}]`, `  capabilities = [${CAPABILITIES.map(tomlString).join(', ')}]`, '', ''].join('\n');
}

/** Before the first [host...] table, or at the end (after a blank line) when there is none; `lines` is exactly what went in. */
function insertHostBlock(text: string, block: string): { text: string; lines: string } {
  const first = /^[ \t]*\[host[.\]]/m.exec(text);
  if (first !== null) return { text: text.slice(0, first.index) + block + text.slice(first.index), lines: block };
  const separator = text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  const lines = separator + block.replace(/\n$/, '');
  return { text: text + lines, lines };
}

/** Takes our lines out: the exact block when it is still there, else our table by its header, up to the next table. */
function removeHostBlock(text: string, record: ContainerdHostsRecord): string {
  if (record.block !== undefined) {
    const at = text.lastIndexOf(record.block);
    if (at !== -1) return text.slice(0, at) + text.slice(at + record.block.length);
  }
  const lines = text.split('\n');
  const header = lines.findIndex((line) => line.trim() === `[host.${tomlString(record.host)}]`);
  if (header === -1) return text;
  let end = header + 1;
  while (end < lines.length && !/^\s*\[/.test(lines[end] ?? '')) end += 1;
  return [...lines.slice(0, header), ...lines.slice(end)].join('\n');
}

function isOurs(content: string): boolean {
  return content.startsWith(CONTAINERD_MARKER);
}

function parseHostsToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (err) {
    const why = err instanceof TomlError ? err.message.split('\n')[0] : String(err);
    throw new HostFileError('INVALID_HOSTS_TOML', `${file} is not valid TOML (${why}); left it unchanged`, { cause: err });
  }
}

function hostTables(config: TomlTable, file: string): TomlTable {
  const hosts = config['host'];
  if (hosts === undefined) return {};
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) {
    throw new HostFileError('INVALID_HOSTS_TOML', `"host" in ${file} is not a table; left the file unchanged`);
  }
  return { ...(hosts as TomlTable) };
}

/** A TOML basic string: JSON's escapes are valid TOML escapes for the ASCII URLs we write. */
function tomlString(value: string): string {
  return JSON.stringify(value);
}
