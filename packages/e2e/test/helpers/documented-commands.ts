// The shell commands our docs show (```sh blocks of a Markdown file), and among them the ones that run one of
// this repository's commands, so a test can run each as written and break when the docs name one that fails.

import { splitWords } from './exec-command.js';

export interface ShellLine {
  /** The command as a reader would type it: continuation lines joined, the trailing `# comment` removed. */
  readonly text: string;
  /** 1-based line in the Markdown file where the command starts. */
  readonly line: number;
}

export interface DocumentedCommand {
  /** `npx private-registry ...` or a bare `private-registry ...` (which needs node_modules/.bin on PATH). */
  readonly launcher: 'npx' | 'path';
  readonly program: string;
  /** The words after the program (environment assignments in front of it are not included). */
  readonly args: readonly string[];
  /** The whole shell line it came from, and where. */
  readonly source: ShellLine;
}

const SHELL_FENCE = /^```(sh|bash|shell)\s*$/;

/** Every command line in the file's sh/bash/shell code blocks. */
export function shellLines(markdown: string): ShellLine[] {
  const lines: ShellLine[] = [];
  let inBlock = false;
  let pending: { text: string; line: number } | undefined;
  markdown.split('\n').forEach((raw, index) => {
    if (!inBlock) {
      inBlock = SHELL_FENCE.test(raw.trim());
      return;
    }
    if (raw.trim().startsWith('```')) {
      inBlock = false;
      pending = undefined;
      return;
    }
    const text = stripComment(raw).trimEnd();
    if (pending === undefined && text.trim() === '') return;
    const joined = pending === undefined ? { text: text.trim(), line: index + 1 } : { text: `${pending.text} ${text.trim()}`, line: pending.line };
    if (joined.text.endsWith('\\')) {
      pending = { text: joined.text.slice(0, -1).trimEnd(), line: joined.line };
      return;
    }
    pending = undefined;
    if (joined.text !== '') lines.push(joined);
  });
  return lines;
}

/** The commands among `lines` that run one of `programs`, directly or through npx, in any part of a `&&`, `;` or `|` chain. */
export function documentedCommands(lines: readonly ShellLine[], programs: readonly string[]): DocumentedCommand[] {
  const found: DocumentedCommand[] = [];
  for (const source of lines) {
    for (const part of source.text.split(/&&|\|\||;|\|/)) {
      const words = wordsOf(part).filter((w, i, all) => !all.slice(0, i + 1).every((x) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(x)));
      const [first, second] = words;
      if (first === 'npx' && second !== undefined && programs.includes(second)) {
        found.push({ launcher: 'npx', program: second, args: words.slice(2), source });
      } else if (first !== undefined && programs.includes(first)) {
        found.push({ launcher: 'path', program: first, args: words.slice(1), source });
      }
    }
  }
  return found;
}

/** The shell words of one command; a part that is not a plain command (odd quoting) is split on spaces. */
function wordsOf(part: string): string[] {
  try {
    return splitWords(part);
  } catch {
    return part.trim().split(/\s+/);
  }
}

/** A `#` that starts a word begins a comment (as in sh); one inside a word or quotes does not. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i);
    }
  }
  return line;
}
