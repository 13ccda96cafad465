// systemd's Exec*= command lines (systemd.service(5) "Command lines"): the prefixes, word splitting with
// quotes and backslash escapes, and the expansion systemd does before it runs the command: specifiers
// (%m, %H, %%) and environment variables (`${NAME}` inside a word, `$NAME` as a whole word split on spaces).

export interface ExecCommand {
  /** The special prefixes in front of the program: `-` ignore failure, `@` argv[0] follows, `+`, `!`, `!!`, `:`. */
  readonly prefixes: string;
  /** A failing command does not fail the unit (`-`). */
  readonly ignoreFailure: boolean;
  readonly program: string;
  /** Arguments after the program (after argv[0] with `@`), still unexpanded. */
  readonly args: readonly string[];
  /** The line as written in the unit (continuations joined). */
  readonly line: string;
}

export class ExecLineError extends Error {
  constructor(
    readonly line: string,
    message: string,
  ) {
    super(`${message}: ${line}`);
    this.name = 'ExecLineError';
  }
}

export function parseExecLine(line: string): ExecCommand {
  const words = splitWords(line);
  const first = words[0];
  if (first === undefined) throw new ExecLineError(line, 'empty command line');
  if (words.includes(';')) throw new ExecLineError(line, 'a bare ";" chains commands: one command per Exec line');
  const prefixes = /^[-@+!:]*/.exec(first)?.[0] ?? '';
  const program = first.slice(prefixes.length);
  if (program === '') throw new ExecLineError(line, 'prefixes without a program');
  const args = prefixes.includes('@') ? words.slice(2) : words.slice(1);
  return { prefixes, ignoreFailure: prefixes.includes('-'), program, args, line };
}

/** Splits on unquoted whitespace; "..." and '...' group words; backslash escapes the next character (C escapes \n \t). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === '\\') {
      const next = line[++i];
      if (next === undefined) throw new ExecLineError(line, 'trailing backslash');
      word += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      inWord = true;
    } else if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new ExecLineError(line, `unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

export interface Expansion {
  /** The unit's environment: Environment=, EnvironmentFile= contents, and systemd's own (none by default). */
  env: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Specifier values, e.g. { m: machine id, H: host name }; `%%` is always `%`. */
  specifiers?: Readonly<Record<string, string>>;
}

/** The argv systemd would run: program + args with specifiers and variables expanded. */
export function expandCommand(command: ExecCommand, expansion: Expansion): string[] {
  const lookup = (name: string): string => {
    const env = expansion.env;
    return (env instanceof Map ? env.get(name) : (env as Record<string, string>)[name]) ?? '';
  };
  const specify = (word: string): string =>
    word.replace(/%(.)/g, (_all, letter: string) => {
      if (letter === '%') return '%';
      const value = expansion.specifiers?.[letter];
      if (value === undefined) throw new ExecLineError(command.line, `no value for specifier %${letter}`);
      return value;
    });
  const argv: string[] = [specify(command.program)];
  for (const raw of command.args) {
    const word = specify(raw);
    const whole = /^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(word);
    if (whole) {
      argv.push(...lookup(whole[1] ?? '').split(/\s+/).filter((w) => w !== ''));
      continue;
    }
    // `$$` is a literal `$` (for a shell the line runs): never the start of a variable.
    argv.push(word.split('$$').map((piece) => piece.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_all, name: string) => lookup(name))).join('$'));
  }
  return argv;
}

/** Variables a line uses, `${NAME}` or `$NAME`, for checking that each has a value or a default. */
export function variablesUsed(command: ExecCommand): string[] {
  const names = new Set<string>();
  for (const word of [command.program, ...command.args].flatMap((w) => w.split('$$'))) {
    for (const match of word.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|^\$([A-Za-z_][A-Za-z0-9_]*)$/g)) names.add(match[1] ?? match[2] ?? '');
  }
  return [...names];
}
