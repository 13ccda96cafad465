// What every writer of one host file shares: read, plan the new content (a pure function of the file, the
// target and the record), write it atomically only when it differs, honour dry runs, and follow a record
// to the old path when the configured path changed.

import { readIfExists, removeFile, writeFileAtomic, type FileEncoding } from './atomic-file.js';
import { HostFileError } from './host-file-error.js';
import type { ApplyOptions, HostFileWriter, WriteOutcome, WriterName, WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import { assertWritableTarget, type MirrorTarget } from './mirror-target.js';

/** Every record names the host path it was written to. */
export interface PathRecord {
  path: string;
}

/** Where a plan applies: the host path (kept in records) and the rooted file (named in errors). */
export interface PlanPlace {
  path: string;
  file: string;
}

export interface FilePlan<R> {
  /** The file's next content; undefined deletes it. Equal to the current content: nothing is touched. */
  content: string | undefined;
  /** What is ours afterwards; undefined when nothing is. */
  record: R | undefined;
}

export interface SingleFileWriterOptions {
  root: HostRoot;
  /** The absolute host path of the file (rooted by `root`). */
  path: string;
}

export abstract class SingleFileWriter<R extends PathRecord> implements HostFileWriter {
  abstract readonly name: WriterName;
  readonly path: string;
  protected readonly root: HostRoot;
  /** How the file is read and written; latin1 keeps any byte of a foreign line as it was. */
  protected readonly encoding: FileEncoding = 'utf8';

  constructor(options: SingleFileWriterOptions) {
    this.root = options.root;
    this.path = options.path;
    this.root.path(this.path);
  }

  /** Checks a record handed back (from a state file) and gives it its type. */
  protected abstract parseRecord(record: WriterRecord): R;

  /** The content that makes `current` point at `next` (or, with null, drops what `previous` added). */
  protected abstract plan(current: string | undefined, next: MirrorTarget | null, previous: R | undefined, place: PlanPlace): FilePlan<R>;

  /** What `current` says about our entries. */
  protected abstract describe(current: string | undefined, previous: R | undefined, place: PlanPlace): Record<string, unknown>;

  async apply(next: MirrorTarget | null, previousRecord: WriterRecord | undefined, options: ApplyOptions = {}): Promise<WriteOutcome> {
    if (next !== null) assertWritableTarget(next);
    let previous = previousRecord === undefined ? undefined : this.parseRecord(previousRecord);
    const files: string[] = [];
    if (previous !== undefined && previous.path !== this.path) {
      // The path option changed since the record was made: take our entries out of the old file first.
      const moved = await this.applyAt(previous.path, null, previous, options);
      if (moved.file !== undefined) files.push(moved.file);
      previous = undefined;
    }
    const { file, record } = await this.applyAt(this.path, next, previous, options);
    if (file !== undefined) files.push(file);
    return { changed: files.length > 0, record: record === undefined ? undefined : toWriterRecord(record), files };
  }

  async inspect(previousRecord: WriterRecord | undefined): Promise<Record<string, unknown>> {
    const previous = previousRecord === undefined ? undefined : this.parseRecord(previousRecord);
    const file = await this.root.writablePath(this.path);
    const current = await readIfExists(file, this.encoding);
    return { writer: this.name, path: this.path, file, exists: current !== undefined, ...this.describe(current, previous, { path: this.path, file }) };
  }

  /** `file` is the rooted file when its content changed (or would, in a dry run). */
  private async applyAt(
    hostPath: string,
    next: MirrorTarget | null,
    previous: R | undefined,
    options: ApplyOptions,
  ): Promise<{ file: string | undefined; record: R | undefined }> {
    const file = await this.root.writablePath(hostPath);
    const current = await readIfExists(file, this.encoding);
    const { content, record } = this.plan(current, next, previous, { path: hostPath, file });
    if (content === current) return { file: undefined, record };
    if (options.dryRun !== true) {
      if (content === undefined) await removeFile(file);
      else await writeFileAtomic(file, content, { encoding: this.encoding });
    }
    return { file, record };
  }
}

/** A plain JSON object (absent optional fields left out), as the reconciler persists it. */
function toWriterRecord(record: PathRecord): WriterRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Record checks shared by the writers' parseRecord. */
export function recordString(writer: WriterName, record: WriterRecord, key: string): string {
  const value = record[key];
  if (typeof value !== 'string' || value === '') throw invalidRecord(writer, `its "${key}" is not a non-empty string`);
  return value;
}

export function recordOptionalString(writer: WriterName, record: WriterRecord, key: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidRecord(writer, `its "${key}" is not a string`);
  return value;
}

export function recordBoolean(writer: WriterName, record: WriterRecord, key: string): boolean {
  const value = record[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw invalidRecord(writer, `its "${key}" is not a boolean`);
  return value;
}

function invalidRecord(writer: WriterName, why: string): HostFileError {
  return new HostFileError('INVALID_RECORD', `the ${writer} writer's record cannot be used: ${why}`);
}
