// /etc/docker/daemon.json: our registry first in `registry-mirrors` (and, for http, in `insecure-registries`),
// merged into whatever else the file holds. A key that dockerd takes from a flag is never written (dockerd
// refuses a directive set both ways). Removal restores what was there: entries that were there before us stay;
// a key or a file that we added goes again, in two steps, since dockerd's SIGHUP reload ignores a missing key:
// first the key is written as `[]` and dockerd reloaded (that clears the live mirror), then the key (or the
// file) is taken away, which matches what a restarted dockerd would read anyway. When nothing else changed
// meanwhile, the file's bytes are restored exactly.

import { isDeepStrictEqual } from 'node:util';
import type { FlagConflicts } from './docker-flags.js';
import { HostFileError } from './host-file-error.js';
import type { ApplyOptions, WriteOutcome, WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import type { MirrorTarget } from './mirror-target.js';
import { recordBoolean, recordOptionalString, SingleFileWriter, recordString, type FilePlan, type PlanPlace } from './single-file-writer.js';

export const DEFAULT_DAEMON_JSON_PATH = '/etc/docker/daemon.json';

const MIRRORS = 'registry-mirrors';
const INSECURE = 'insecure-registries';

export interface DaemonJsonRecord {
  path: string;
  /** Our entry in registry-mirrors; absent when a dockerd flag owns the key. */
  mirror?: string;
  /** False when the entry was there before us (then we only moved it first, and removal leaves it). */
  mirrorAdded?: boolean;
  /** Our entry in insecure-registries (http targets). */
  insecure?: string;
  insecureAdded?: boolean;
  /** Keys that did not exist before our first write: removal takes them away again (after the `[]` step). */
  mirrorsKeyAdded?: boolean;
  insecureKeyAdded?: boolean;
  /** There was no daemon.json before our first write. */
  createdFile?: boolean;
  /** The file's bytes before our first write, restored when the file otherwise ends up as it was. */
  before?: string;
  /** Removal's first step is done (keys at `[]`, dockerd reloaded): the next removal takes the keys away. */
  clearing?: boolean;
  /** Keys left alone because a dockerd flag sets them, and where. */
  skipped?: FlagConflicts;
}

type DaemonConfig = Record<string, unknown>;

export interface DockerDaemonJsonWriterOptions {
  root: HostRoot;
  path?: string;
  /** Which keys dockerd's flags set (looked at before every write); none unless told. */
  flagConflicts?: () => Promise<FlagConflicts>;
}

export class DockerDaemonJsonWriter extends SingleFileWriter<DaemonJsonRecord> {
  readonly name = 'docker';
  private readonly flagConflicts: () => Promise<FlagConflicts>;
  private conflicts: FlagConflicts = {};

  constructor(options: DockerDaemonJsonWriterOptions) {
    super({ root: options.root, path: options.path ?? DEFAULT_DAEMON_JSON_PATH });
    this.flagConflicts = options.flagConflicts ?? (() => Promise.resolve({}));
  }

  override async apply(next: MirrorTarget | null, previous: WriterRecord | undefined, options: ApplyOptions = {}): Promise<WriteOutcome> {
    this.conflicts = next === null ? {} : await this.flagConflicts();
    const outcome = await super.apply(next, previous, options);
    // The first removal step wants a reload before the second: the reconciler applies again after it.
    return outcome.record?.['clearing'] === true ? { ...outcome, again: true } : outcome;
  }

  protected parseRecord(record: WriterRecord): DaemonJsonRecord {
    const parsed: DaemonJsonRecord = { path: recordString(this.name, record, 'path') };
    const mirror = recordOptionalString(this.name, record, 'mirror');
    if (mirror !== undefined) {
      parsed.mirror = mirror;
      parsed.mirrorAdded = recordBoolean(this.name, record, 'mirrorAdded');
    }
    const insecure = recordOptionalString(this.name, record, 'insecure');
    if (insecure !== undefined) {
      parsed.insecure = insecure;
      parsed.insecureAdded = recordBoolean(this.name, record, 'insecureAdded');
    }
    for (const key of ['mirrorsKeyAdded', 'insecureKeyAdded', 'createdFile', 'clearing'] as const) if (recordBoolean(this.name, record, key)) parsed[key] = true;
    const before = recordOptionalString(this.name, record, 'before');
    if (before !== undefined) parsed.before = before;
    const skipped = record['skipped'];
    if (skipped !== null && typeof skipped === 'object') parsed.skipped = skipped as FlagConflicts;
    return parsed;
  }

  protected plan(current: string | undefined, next: MirrorTarget | null, previous: DaemonJsonRecord | undefined, { path, file }: PlanPlace): FilePlan<DaemonJsonRecord> {
    const config = parseDaemonJson(current, file);
    const before = { mirrors: stringList(config, MIRRORS, file), insecure: stringList(config, INSECURE, file) };
    let mirrors = before.mirrors;
    let insecure = before.insecure;

    // Take out what we added, then add what `next` needs: a switch is one write.
    if (previous?.mirror !== undefined && previous.mirrorAdded === true) mirrors = mirrors.filter((m) => !sameMirror(m, previous.mirror as string));
    if (previous?.insecure !== undefined && previous.insecureAdded === true) insecure = insecure.filter((a) => a !== previous.insecure);

    if (next === null) return this.planRemoval(current, config, { mirrors, insecure }, previous);

    // What the host had before our first write: from the first record, carried through every later one.
    const origin: DaemonJsonRecord =
      previous === undefined
        ? { path, ...(current === undefined ? { createdFile: true } : { before: current }), ...(MIRRORS in config ? {} : { mirrorsKeyAdded: true }), ...(INSECURE in config ? {} : { insecureKeyAdded: true }) }
        : { path, ...pick(previous, ['createdFile', 'before', 'mirrorsKeyAdded', 'insecureKeyAdded']) };
    const record: DaemonJsonRecord = { ...origin };
    const skipped: FlagConflicts = {};
    if (this.conflicts[MIRRORS] !== undefined) {
      skipped[MIRRORS] = this.conflicts[MIRRORS];
    } else {
      const existing = mirrors.find((m) => sameMirror(m, next.url));
      mirrors = [existing ?? next.url, ...mirrors.filter((m) => m !== existing)];
      record.mirror = next.url;
      record.mirrorAdded = existing === undefined;
    }
    if (next.scheme === 'http') {
      if (this.conflicts[INSECURE] !== undefined) {
        skipped[INSECURE] = this.conflicts[INSECURE];
      } else {
        const known = insecure.includes(next.address);
        if (!known) insecure = [...insecure, next.address];
        record.insecure = next.address;
        record.insecureAdded = !known;
      }
    }
    if (Object.keys(skipped).length > 0) record.skipped = skipped;

    if (sameList(mirrors, before.mirrors) && sameList(insecure, before.insecure)) return { content: current, record };
    if (this.conflicts[MIRRORS] === undefined && (MIRRORS in config || mirrors.length > 0)) config[MIRRORS] = mirrors;
    if (this.conflicts[INSECURE] === undefined && (INSECURE in config || insecure.length > 0)) config[INSECURE] = insecure;
    return { content: formatLike(current, config), record };
  }

  /** Our entries are out of `lists`; a key we added goes in two steps (`[]` + reload, then away). */
  private planRemoval(current: string | undefined, config: DaemonConfig, lists: { mirrors: string[]; insecure: string[] }, previous: DaemonJsonRecord | undefined): FilePlan<DaemonJsonRecord> {
    if (previous === undefined) return { content: current, record: undefined };
    const dropMirrors = previous.mirrorsKeyAdded === true && lists.mirrors.length === 0 && MIRRORS in config;
    const dropInsecure = previous.insecureKeyAdded === true && lists.insecure.length === 0 && INSECURE in config;
    if (MIRRORS in config) config[MIRRORS] = lists.mirrors;
    if (INSECURE in config) config[INSECURE] = lists.insecure;
    const unchanged = (): string | undefined => (current !== undefined && isDeepStrictEqual(parseQuietly(current), config) ? current : formatLike(current, config));
    if (!dropMirrors && !dropInsecure) return { content: current === undefined ? undefined : unchanged(), record: undefined };

    // Step one, while the file still lists entries that dockerd may have live: the keys stay, empty, so that
    // dockerd's reload really clears them.
    const live = (dropMirrors && hasEntries(current, MIRRORS)) || (dropInsecure && hasEntries(current, INSECURE));
    if (previous.clearing !== true && live) {
      const origin = pick(previous, ['path', 'createdFile', 'before', 'mirrorsKeyAdded', 'insecureKeyAdded']);
      return { content: formatLike(current, config), record: { path: previous.path, ...origin, clearing: true } };
    }
    // Step two: the keys we added go; the file too if we created it and nothing else is in it.
    if (dropMirrors) delete config[MIRRORS];
    if (dropInsecure) delete config[INSECURE];
    if (previous.createdFile === true && Object.keys(config).length === 0) return { content: undefined, record: undefined };
    if (previous.before !== undefined && isDeepStrictEqual(parseQuietly(previous.before), config)) return { content: previous.before, record: undefined };
    return { content: formatLike(current, config), record: undefined };
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
    const ours = previous?.mirror;
    return {
      valid: true,
      registryMirrors: mirrors,
      insecureRegistries: insecure,
      mirror: ours,
      mirrorPresent: ours !== undefined && mirrorList.some((m) => typeof m === 'string' && sameMirror(m, ours)),
      mirrorFirst: ours !== undefined && typeof mirrorList[0] === 'string' && sameMirror(mirrorList[0], ours),
      insecure: previous?.insecure,
      insecurePresent: previous?.insecure !== undefined && Array.isArray(insecure) && insecure.includes(previous.insecure),
      ...(previous?.skipped === undefined ? {} : { skipped: Object.fromEntries(Object.entries(previous.skipped).map(([key, where]) => [key, `left alone: dockerd sets it with ${where}`])) }),
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

function parseQuietly(text: string): unknown {
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function hasEntries(text: string | undefined, key: string): boolean {
  const value = (parseQuietly(text ?? '') as DaemonConfig | undefined)?.[key];
  return Array.isArray(value) && value.length > 0;
}

function stringList(config: DaemonConfig, key: string, file: string): string[] {
  const value = config[key];
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new HostFileError('INVALID_DAEMON_JSON', `"${key}" in ${file} is not a list of strings; left the file unchanged`);
  }
  return value as string[];
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) picked[key] = value[key];
  return picked;
}

/** dockerd normalises a mirror to end in `/`: "http://a:5000" and "http://a:5000/" are one mirror. */
export function sameMirror(a: string, b: string): boolean {
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
