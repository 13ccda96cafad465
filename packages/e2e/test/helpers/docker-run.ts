// What a `docker run ...` argument list means: its options, the image, the command after the image. Which
// options take a value comes from a table of the ones the units use (a flag outside it is an error, so a new
// flag gets looked at), and that table is checked against the docker CLI's own `docker run --help`.

export interface DockerOption {
  /** As written: `--name`, `-p`, `--security-opt`. */
  readonly flag: string;
  /** The value (from `--flag value` or `--flag=value`); undefined for a boolean flag. */
  readonly value?: string;
}

export interface DockerRun {
  readonly options: readonly DockerOption[];
  /** Whole-word variables standing for more options (`$REGISTRY_DOCKER_OPTS`): expanded only at run time. */
  readonly optionVariables: readonly string[];
  readonly image: string;
  /** What runs in the container; empty = the image's CMD. */
  readonly command: readonly string[];
}

/** docker run flags the units may use, and whether each takes a value (verified against `docker run --help`). */
export const DOCKER_RUN_FLAGS: ReadonlyMap<string, boolean> = new Map([
  ['--rm', false],
  ['--init', false],
  ['--privileged', false],
  ['--read-only', false],
  ['--name', true],
  ['-p', true],
  ['--publish', true],
  ['-v', true],
  ['--volume', true],
  ['-e', true],
  ['--env', true],
  ['--env-file', true],
  ['--network', true],
  ['--pid', true],
  ['--user', true],
  ['-u', true],
  ['--userns', true],
  ['--security-opt', true],
  ['--cap-add', true],
  ['--cap-drop', true],
  ['--stop-timeout', true],
  ['--log-driver', true],
  ['--log-opt', true],
  ['--pull', true],
]);

export class DockerRunError extends Error {
  override name = 'DockerRunError';
}

/** `args` are the words after `docker run`. */
export function parseDockerRun(args: readonly string[], flags: ReadonlyMap<string, boolean> = DOCKER_RUN_FLAGS): DockerRun {
  const options: DockerOption[] = [];
  const optionVariables: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const word = args[i] ?? '';
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(word)) {
      optionVariables.push(word.slice(1));
      continue;
    }
    if (!word.startsWith('-')) break;
    const eq = word.indexOf('=');
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const takesValue = flags.get(flag);
    if (takesValue === undefined) throw new DockerRunError(`docker run flag ${flag} is not in DOCKER_RUN_FLAGS (docker-run.ts): add it with its arity`);
    if (eq > 0) {
      if (!takesValue) throw new DockerRunError(`docker run flag ${flag} takes no value, got "${word}"`);
      options.push({ flag, value: word.slice(eq + 1) });
    } else if (takesValue) {
      const value = args[++i];
      if (value === undefined) throw new DockerRunError(`docker run flag ${flag} needs a value`);
      options.push({ flag, value });
    } else {
      options.push({ flag });
    }
  }
  const image = args[i];
  if (image === undefined) throw new DockerRunError('docker run without an image');
  return { options, optionVariables, image, command: args.slice(i + 1) };
}

/** Every value given to one of `names` (e.g. `['-v', '--volume']`). */
export function optionValues(run: DockerRun, ...names: string[]): string[] {
  return run.options.filter((o) => names.includes(o.flag) && o.value !== undefined).map((o) => o.value as string);
}

export function hasOption(run: DockerRun, ...names: string[]): boolean {
  return run.options.some((o) => names.includes(o.flag));
}

/**
 * The flags `docker run --help` lists, each with whether it takes a value (a type word such as `string`,
 * `list`, `int` after it). Short and long forms both appear: `-p, --publish list`.
 */
export function parseDockerRunHelp(help: string): Map<string, boolean> {
  const flags = new Map<string, boolean>();
  for (const line of help.split('\n')) {
    const match = /^\s+(?:(-[A-Za-z]), )?(--[a-z0-9-]+)(?: ([a-z][a-zA-Z0-9]*))?(?:\s{2,}|$)/.exec(line);
    if (!match) continue;
    const takesValue = match[3] !== undefined;
    if (match[1] !== undefined) flags.set(match[1], takesValue);
    flags.set(match[2] ?? '', takesValue);
  }
  return flags;
}
