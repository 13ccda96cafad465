// /etc/environment: one `DOCKER_REPO=<address>/` line (unit files run `docker pull ${DOCKER_REPO}image`),
// every other line kept byte for byte; a foreign DOCKER_REPO line is replaced and restored on removal.

import type { WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import type { MirrorTarget } from './mirror-target.js';
import { recordBoolean, recordOptionalString, recordString, SingleFileWriter, type FilePlan, type PlanPlace } from './single-file-writer.js';

export const DEFAULT_ENVIRONMENT_PATH = '/etc/environment';

export interface EnvironmentRecord {
  path: string;
  /** Our whole line, without its line ending: matched only by equality, never by prefix or pattern. */
  line: string;
  /** The foreign DOCKER_REPO line ours replaced, put back on removal. */
  replaced?: string;
  /** The file ended without a newline and we added one before our line: removal takes it away again. */
  terminatedLastLine?: boolean;
  /** There was no file: removal that leaves it empty deletes it. */
  createdFile?: boolean;
}

interface Line {
  text: string;
  /** '\n', '\r\n', or '' for a last line without one. */
  eol: string;
}

// pam_env and systemd's EnvironmentFile= both accept an optional `export ` and blanks around the key.
const DOCKER_REPO_KEY = /^\s*(?:export\s+)?DOCKER_REPO\s*=/;

export function dockerRepoLine(target: MirrorTarget): string {
  return `DOCKER_REPO=${target.address}/`;
}

export class EnvironmentFileWriter extends SingleFileWriter<EnvironmentRecord> {
  readonly name = 'environment';
  // Any byte of a foreign line (a Latin-1 value, say) must come back exactly as it was.
  protected override readonly encoding = 'latin1';

  constructor(options: { root: HostRoot; path?: string }) {
    super({ root: options.root, path: options.path ?? DEFAULT_ENVIRONMENT_PATH });
  }

  protected parseRecord(record: WriterRecord): EnvironmentRecord {
    const parsed: EnvironmentRecord = { path: recordString(this.name, record, 'path'), line: recordString(this.name, record, 'line') };
    const replaced = recordOptionalString(this.name, record, 'replaced');
    if (replaced !== undefined) parsed.replaced = replaced;
    if (recordBoolean(this.name, record, 'terminatedLastLine')) parsed.terminatedLastLine = true;
    if (recordBoolean(this.name, record, 'createdFile')) parsed.createdFile = true;
    return parsed;
  }

  protected plan(current: string | undefined, next: MirrorTarget | null, previous: EnvironmentRecord | undefined, { path }: PlanPlace): FilePlan<EnvironmentRecord> {
    const lines = splitLines(current ?? '');
    const oursAt = previous === undefined ? -1 : lines.findLastIndex((l) => l.text === previous.line);
    const ours = lines[oursAt];

    if (next === null) {
      if (previous === undefined || ours === undefined) return { content: current, record: undefined };
      if (previous.replaced !== undefined) {
        ours.text = previous.replaced;
      } else {
        lines.splice(oursAt, 1);
        const before = lines[oursAt - 1];
        if (previous.terminatedLastLine === true && oursAt === lines.length && before !== undefined) before.eol = '';
      }
      const content = joinLines(lines);
      return { content: content === '' && previous.createdFile === true ? undefined : content, record: undefined };
    }

    const line = dockerRepoLine(next);
    if (previous !== undefined && ours !== undefined) {
      ours.text = line;
      return { content: joinLines(lines), record: { ...previous, path, line } };
    }
    // The last assignment wins (pam_env, EnvironmentFile=): replace the last foreign one.
    const foreign = lines[lines.findLastIndex((l) => DOCKER_REPO_KEY.test(l.text))];
    if (foreign !== undefined) {
      const record: EnvironmentRecord = { path, line, replaced: foreign.text };
      foreign.text = line;
      return { content: joinLines(lines), record };
    }
    const record: EnvironmentRecord = { path, line };
    if (current === undefined) record.createdFile = true;
    const last = lines.at(-1);
    if (last !== undefined && last.eol === '') {
      last.eol = '\n';
      record.terminatedLastLine = true;
    }
    lines.push({ text: line, eol: '\n' });
    return { content: joinLines(lines), record };
  }

  protected describe(current: string | undefined, previous: EnvironmentRecord | undefined): Record<string, unknown> {
    const assignments = splitLines(current ?? '').filter((l) => DOCKER_REPO_KEY.test(l.text)).map((l) => l.text);
    const effective = assignments.at(-1);
    return {
      ours: previous?.line,
      present: previous !== undefined && assignments.includes(previous.line),
      // A later foreign assignment overrides ours: the status command should say so.
      effective: effective === undefined ? undefined : effective.replace(DOCKER_REPO_KEY, ''),
      dockerRepoLines: assignments,
      replaced: previous?.replaced,
    };
  }
}

function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const newline = content.indexOf('\n', start);
    if (newline < 0) {
      lines.push({ text: content.slice(start), eol: '' });
      break;
    }
    const crlf = newline > start && content[newline - 1] === '\r';
    lines.push({ text: content.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}
