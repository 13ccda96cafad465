// /etc/docker/daemon.json: our registry first in `registry-mirrors` (and, for http, in `insecure-registries`),
// merged into whatever else the file holds; removal leaves `[]` because dockerd's reload ignores a missing key.

import { HostFileError } from './host-file-error.js';
import type { WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import type { MirrorTarget } from './mirror-target.js';
import { recordBoolean, recordOptionalString, recordString, SingleFileWriter, type FilePlan, type PlanPlace } from './single-file-writer.js';

export const DEFAULT_DAEMON_JSON_PATH = '/etc/docker/daemon.json';

const MIRRORS = 'registry-mirrors';
const INSECURE = 'insecure-registries';

export interface DaemonJsonRecord {
  path: string;
  /** Our entry in registry-mirrors. */
  mirror: string;
  /** False when the entry was there before us (then we only moved it first, and removal leaves it). */
  mirrorAdded: boolean;
  /** Our entry in insecure-registries (http targets). */
  insecure?: string;
  insecureAdded?: boolean;
}

type DaemonConfig = Record<string, unknown>;

export class DockerDaemonJsonWriter extends SingleFileWriter<DaemonJsonRecord> {
  readonly name = 'docker';

  constructor(options: { root: HostRoot; path?: string }) {
    super({ root: options.root, path: options.path ?? DEFAULT_DAEMON_JSON_PATH });
  }

  protected parseRecord(record: WriterRecord): DaemonJsonRecord {
    const parsed: DaemonJsonRecord = {
      path: recordString(this.name, record, 'path'),
      mirror: recordString(this.name, record, 'mirror'),
      mirrorAdded: recordBoolean(this.name, record, 'mirrorAdded'),
    };
    const insecure = recordOptionalString(this.name, record, 'insecure');
    if (insecure !== undefined) {
      parsed.insecure = insecure;
      parsed.insecureAdded = recordBoolean(this.name, record, 'insecureAdded');
    }
    return parsed;
  }

  protected plan(current: string | undefined, next: MirrorTarget | null, previous: DaemonJsonRecord | undefined, { path, file }: PlanPlace): FilePlan<DaemonJsonRecord> {
    const config = parseDaemonJson(current, file);
    const hadMirrors = MIRRORS in config;
    const hadInsecure = INSECURE in config;
    const before = { mirrors: stringList(config, MIRRORS, file), insecure: stringList(config, INSECURE, file) };
    let mirrors = before.mirrors;
    let insecure = before.insecure;

    // Take out what we added, then add what `next` needs: a switch is one write.
    if (previous?.mirrorAdded === true) mirrors = mirrors.filter((m) => !sameMirror(m, previous.mirror));
    if (previous?.insecure !== undefined && previous.insecureAdded === true) insecure = insecure.filter((a) => a !== previous.insecure);

    let record: DaemonJsonRecord | undefined;
    if (next !== null) {
      const existing = mirrors.find((m) => sameMirror(m, next.url));
      mirrors = [existing ?? next.url, ...mirrors.filter((m) => m !== existing)];
      record = { path, mirror: next.url, mirrorAdded: existing === undefined };
      if (next.scheme === 'http') {
        const known = insecure.includes(next.address);
        if (!known) insecure = [...insecure, next.address];
        record.insecure = next.address;
        record.insecureAdded = !known;
      }
    }

    if (sameList(mirrors, before.mirrors) && sameList(insecure, before.insecure)) return { content: current, record };
    // Keys we ever wrote stay, as `[]` at worst: dockerd's SIGHUP reload keeps old mirrors for a missing key.
    if (hadMirrors || mirrors.length > 0 || previous !== undefined) config[MIRRORS] = mirrors;
    if (hadInsecure || insecure.length > 0 || previous?.insecure !== undefined) config[INSECURE] = insecure;
    return { content: formatLike(current, config), record };
  }

  protected describe(current: string | undefined, previous: DaemonJsonRecord | undefined, { file }: PlanPlace): Record<string, unknown> {
    let config: DaemonConfig;
    try {
      config = parseDaemonJson(current, file);
    } catch (err) {
      return { valid: false, error: (err as Error).message };
    }
    const mirrors = config[MIRRORS];
    const insecure = config[INSECURE];
    const mirrorList = Array.isArray(mirrors) ? mirrors : [];
    return {
      valid: true,
      registryMirrors: mirrors,
      insecureRegistries: insecure,
      mirror: previous?.mirror,
      mirrorPresent: previous !== undefined && mirrorList.some((m) => typeof m === 'string' && sameMirror(m, previous.mirror)),
      mirrorFirst: previous !== undefined && typeof mirrorList[0] === 'string' && sameMirror(mirrorList[0], previous.mirror),
      insecure: previous?.insecure,
      insecurePresent: previous?.insecure !== undefined && Array.isArray(insecure) && insecure.includes(previous.insecure),
    };
  }
}

/** The file's JSON object; no file or only blanks is `{}`. Anything else that is not an object is refused. */
export function parseDaemonJson(text: string | undefined, file: string): DaemonConfig {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HostFileError('INVALID_DAEMON_JSON', `${file} is not valid JSON (${(err as Error).message}); left it unchanged`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HostFileError('INVALID_DAEMON_JSON', `${file} does not hold a JSON object; left it unchanged`);
  }
  return value as DaemonConfig;
}

function stringList(config: DaemonConfig, key: string, file: string): string[] {
  const value = config[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new HostFileError('INVALID_DAEMON_JSON', `"${key}" in ${file} is not a list of strings; left the file unchanged`);
  }
  return value as string[];
}

/** dockerd normalises a mirror to end in `/`: "http://a:5000" and "http://a:5000/" are one mirror. */
function sameMirror(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** JSON in the file's own indentation (two spaces for a new file), ending in a newline when it did. */
function formatLike(current: string | undefined, config: DaemonConfig): string {
  if (current === undefined || current.trim() === '') return `${JSON.stringify(config, null, 2)}\n`;
  const indent = /\n([ \t]+)"/.exec(current)?.[1] ?? (current.trim().includes('\n') ? '  ' : '');
  const trailing = /\n\s*$/.test(current) ? '\n' : '';
  return JSON.stringify(config, null, indent) + trailing;
}
