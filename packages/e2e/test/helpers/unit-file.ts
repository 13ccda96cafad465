// A systemd unit-file reader for tests (systemd.syntax(7)): sections, repeated keys in file order, comments,
// and backslash line continuations. fleet reads the same format, so the fleet units go through it too.

export interface UnitEntry {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** 1-based line where the entry starts. */
  readonly line: number;
}

export class UnitFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'UnitFileError';
  }
}

export class UnitFile {
  constructor(
    /** The file name, e.g. `docker-registry.service`. */
    readonly name: string,
    readonly entries: readonly UnitEntry[],
  ) {}

  /** Section names in order of first appearance. */
  get sections(): string[] {
    return [...new Set(this.entries.map((e) => e.section))];
  }

  hasSection(section: string): boolean {
    return this.entries.some((e) => e.section === section);
  }

  /** Every value of a list-valued key in file order; an empty assignment (`ExecStartPre=`) resets the list, as in systemd. */
  all(section: string, key: string): string[] {
    const values: string[] = [];
    for (const entry of this.entries) {
      if (entry.section !== section || entry.key !== key) continue;
      if (entry.value === '') values.length = 0;
      else values.push(entry.value);
    }
    return values;
  }

  /** The value of a single-valued key: the last assignment wins. */
  get(section: string, key: string): string | undefined {
    return this.all(section, key).at(-1);
  }

  /** Space-separated list keys (After=, BindsTo=, WantedBy=) merged across assignments. */
  words(section: string, key: string): string[] {
    return this.all(section, key).flatMap((value) => value.split(/\s+/).filter((w) => w !== ''));
  }

  /** `Environment=` assignments (quoted or not) as a map; later ones win. */
  environment(): Map<string, string> {
    const env = new Map<string, string>();
    for (const value of this.all('Service', 'Environment')) {
      for (const assignment of splitEnvironmentValue(value)) {
        const eq = assignment.indexOf('=');
        if (eq <= 0) throw new UnitFileError(this.name, 0, `Environment= "${assignment}" is not NAME=VALUE`);
        env.set(assignment.slice(0, eq), assignment.slice(eq + 1));
      }
    }
    return env;
  }
}

const SECTION = /^\[([^\[\]]+)\]$/;
const ASSIGNMENT = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/;

export function parseUnitFile(text: string, name: string): UnitFile {
  const entries: UnitEntry[] = [];
  const lines = text.split('\n');
  let section: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    // A trailing backslash joins the next line with a space; comment lines inside a continuation are skipped.
    while (line.endsWith('\\')) {
      line = line.slice(0, -1);
      i++;
      if (i >= lines.length) throw new UnitFileError(name, startLine, 'line continuation runs past the end of the file');
      const next = (lines[i] ?? '').trim();
      if (next.startsWith('#') || next.startsWith(';')) {
        line += '\\';
        continue;
      }
      line = `${line.trimEnd()} ${next}`;
    }
    const header = SECTION.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) throw new UnitFileError(name, startLine, `"${line}" is neither a [Section] nor Key=Value`);
    if (section === undefined) throw new UnitFileError(name, startLine, `${assignment[1]}= comes before any [Section]`);
    entries.push({ section, key: assignment[1] ?? '', value: (assignment[2] ?? '').trim(), line: startLine });
  }
  return new UnitFile(name, entries);
}

/** `A=1 "B=two words"` → [`A=1`, `B=two words`] (systemd.exec: Environment= takes quoted assignments). */
function splitEnvironmentValue(value: string): string[] {
  const out: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of value.matchAll(pattern)) out.push(match[1] ?? match[2] ?? match[3] ?? '');
  return out;
}
