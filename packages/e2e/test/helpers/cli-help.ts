// Reads a commander `--help` page (our three CLIs use commander) into the options it defines, and checks
// an argument list written in a unit file against it: unknown flags, missing values, stray positionals.

export type OptionValue = 'none' | 'required' | 'optional';

export interface CliOption {
  /** `--registry-url` */
  readonly flag: string;
  /** `-c` */
  readonly short?: string;
  readonly value: OptionValue;
  /** The description with wrapped lines joined, defaults included as commander prints them. */
  readonly description: string;
  /** From `(default: ...)`, quotes removed. */
  readonly defaultValue?: string;
}

export interface CliHelp {
  readonly usage: string;
  readonly options: ReadonlyMap<string, CliOption>;
  /** Names from the Arguments section (`config`); positionals are allowed only when there is one. */
  readonly arguments: readonly string[];
  /** Subcommand names from the Commands section. */
  readonly commands: readonly string[];
}

const OPTION_LINE = /^ {2}(?:(-[A-Za-z]), )?(--[a-z0-9][a-z0-9-]*)(?: (<[^>]+>|\[[^\]]+\]))?(?: {2,}(.*))?$/;

export function parseCommanderHelp(help: string): CliHelp {
  const usage = /^Usage: (.*)$/m.exec(help)?.[1] ?? '';
  const options = new Map<string, CliOption>();
  const argumentNames: string[] = [];
  const commands: string[] = [];
  let section = '';
  let current: { flag: string; short?: string; value: OptionValue; description: string } | undefined;
  const finish = (): void => {
    if (current === undefined) return;
    const description = current.description.replace(/\s+/g, ' ').trim();
    const defaultMatch = /\(default: (?:"([^"]*)"|([^),]*))/.exec(description);
    const defaultValue = defaultMatch?.[1] ?? defaultMatch?.[2];
    options.set(current.flag, { ...current, description, ...(defaultValue === undefined ? {} : { defaultValue }) });
    current = undefined;
  };
  for (const line of help.split('\n')) {
    const heading = /^([A-Z][A-Za-z ]*):$/.exec(line);
    if (heading) {
      finish();
      section = heading[1] ?? '';
      continue;
    }
    if (section === 'Options') {
      const match = OPTION_LINE.exec(line);
      if (match) {
        finish();
        const spec = match[3];
        current = {
          flag: match[2] ?? '',
          ...(match[1] === undefined ? {} : { short: match[1] }),
          value: spec === undefined ? 'none' : spec.startsWith('<') ? 'required' : 'optional',
          description: match[4] ?? '',
        };
      } else if (current !== undefined && /^ {3,}\S/.test(line)) {
        current.description += ` ${line.trim()}`;
      }
    } else if (section === 'Arguments') {
      const name = /^ {2}(\S+)/.exec(line)?.[1];
      if (name !== undefined) argumentNames.push(name);
    } else if (section === 'Commands') {
      const name = /^ {2}([a-z][a-z0-9-]*)/.exec(line)?.[1];
      if (name !== undefined) commands.push(name);
    }
  }
  finish();
  return { usage, options, arguments: argumentNames, commands };
}

/** Problems with `args` (the words after `<cli> <command>`) against the help page; empty when they fit. */
export function checkCliArgs(args: readonly string[], help: CliHelp): string[] {
  const problems: string[] = [];
  const byShort = new Map([...help.options.values()].filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? '';
    if (!word.startsWith('-')) {
      if (help.arguments.length === 0) problems.push(`"${word}" is an argument, but \`${help.usage}\` takes none`);
      continue;
    }
    const eq = word.indexOf('=');
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const option = help.options.get(flag) ?? byShort.get(flag);
    if (option === undefined) {
      problems.push(`${flag} is not an option of \`${help.usage}\``);
      continue;
    }
    if (option.value === 'none' && eq > 0) problems.push(`${flag} takes no value`);
    if (option.value === 'required' && eq < 0) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) problems.push(`${flag} needs a value`);
      else i++;
    }
  }
  return problems;
}
