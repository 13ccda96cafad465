// `private-registry user add|passwd|remove|list`: edits the htpasswd file the registry reads (--htpasswd
// FILE, else auth.htpasswd.path of the configuration `serve` would run with). A running registry picks the
// change up by itself. Every error is one line naming the problem, exit status 2.
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { CodedError, isErrnoError } from '@private-registry/core';
import { writeFileAtomic } from './auth/atomic-file-write.js';
import { linesOfUser, userNamesIn, withUserAdded, withUserRemoved, withUserReplaced } from './auth/htpasswd-edit.js';
import { HtpasswdLineError, parseHtpasswd } from './auth/htpasswd-parse.js';
import { hashPassword, MAX_BCRYPT_COST, MIN_BCRYPT_COST } from './auth/password-hash.js';
import { userNameProblem } from './auth/user-name.js';
import { adminAction, EXIT_USAGE, loadCliConfig } from './cli-context.js';
import { DEFAULT_BCRYPT_COST } from './config/auth-section.js';
import { readNewPassword } from './password-input.js';

interface FileOptions {
  config?: string;
  htpasswd?: string;
}

interface PasswordOptions extends FileOptions {
  cost?: number;
  passwordStdin?: boolean;
}

function userError(message: string): CodedError {
  return new CodedError('USER_COMMAND_FAILED', message);
}

/** The htpasswd file and bcrypt cost: options first, then the configuration's auth.htpasswd. */
async function htpasswdTarget(options: PasswordOptions, needsCost: boolean): Promise<{ path: string; cost: number }> {
  const needsConfig = options.htpasswd === undefined || (needsCost && options.cost === undefined);
  const section = needsConfig ? (await loadCliConfig(options)).config.auth?.htpasswd : undefined;
  const path = options.htpasswd ?? section?.path;
  if (path === undefined || path === '') {
    throw userError('no htpasswd file: pass --htpasswd FILE, or configure auth.htpasswd.path (in --config FILE or $REGISTRY_CONFIGURATION_PATH)');
  }
  return { path, cost: options.cost ?? section?.bcryptCost ?? DEFAULT_BCRYPT_COST };
}

/** The file's text, or undefined when it does not exist. */
async function readHtpasswd(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isErrnoError(err, 'ENOENT')) return undefined;
    throw userError(`${path}: cannot read the file (${isErrnoError(err) ? err.code : String(err)})`);
  }
}

async function existingHtpasswd(path: string): Promise<string> {
  const text = await readHtpasswd(path);
  if (text === undefined) throw userError(`${path}: the file does not exist (\`user add\` creates it)`);
  return text;
}

function checkedName(name: string): string {
  const problem = userNameProblem(name);
  if (problem !== undefined) throw userError(`invalid user name ${JSON.stringify(name)}: ${problem}`);
  return name;
}

function lineList(lines: number[]): string {
  return lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(', ')}`;
}

/** Writes `text` to `path` atomically and tells the operator about lines the registry would still refuse. */
async function save(path: string, text: string): Promise<void> {
  const result = await writeFileAtomic(path, text, { newFileMode: 0o600 });
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
  try {
    parseHtpasswd(text);
  } catch (err) {
    if (!(err instanceof HtpasswdLineError)) throw err;
    process.stderr.write(`warning: ${path}:${err.line}: ${err.problem} (the registry will refuse this file until it is fixed)\n`);
  }
}

async function addUser(name: string, options: PasswordOptions): Promise<void> {
  checkedName(name);
  const { path, cost } = await htpasswdTarget(options, true);
  const text = await readHtpasswd(path);
  const existing = text === undefined ? [] : linesOfUser(text, name);
  if (existing.length > 0) throw userError(`user ${JSON.stringify(name)} already exists in ${path} (${lineList(existing)}); use \`user passwd\` to change the password`);
  const password = await readNewPassword(options);
  await save(path, withUserAdded(text ?? '', name, await hashPassword(password, cost)));
  process.stderr.write(`added user ${JSON.stringify(name)} to ${path}\n`);
}

async function changePassword(name: string, options: PasswordOptions): Promise<void> {
  checkedName(name);
  const { path, cost } = await htpasswdTarget(options, true);
  const lines = linesOfUser(await existingHtpasswd(path), name);
  if (lines.length === 0) throw userError(`no user ${JSON.stringify(name)} in ${path}`);
  if (lines.length > 1) throw userError(`user ${JSON.stringify(name)} appears more than once in ${path} (${lineList(lines)}); remove it and add it again`);
  const password = await readNewPassword(options);
  const hash = await hashPassword(password, cost);
  // Read again: the prompt may have taken a while, and another edit must not be lost.
  const text = await existingHtpasswd(path);
  if (linesOfUser(text, name).length !== 1) throw userError(`${path} changed while the password was read; try again`);
  await save(path, withUserReplaced(text, name, hash));
  process.stderr.write(`changed the password of ${JSON.stringify(name)} in ${path}\n`);
}

async function removeUser(name: string, options: FileOptions): Promise<void> {
  checkedName(name);
  const { path } = await htpasswdTarget(options, false);
  const text = await existingHtpasswd(path);
  const lines = linesOfUser(text, name);
  if (lines.length === 0) throw userError(`no user ${JSON.stringify(name)} in ${path}`);
  await save(path, withUserRemoved(text, name));
  process.stderr.write(`removed user ${JSON.stringify(name)} from ${path} (${lineList(lines)})\n`);
}

async function listUsers(options: FileOptions): Promise<void> {
  const { path } = await htpasswdTarget(options, false);
  const text = await existingHtpasswd(path);
  for (const name of userNamesIn(text)) process.stdout.write(`${name}\n`);
}

function parseCost(value: string): number {
  const cost = Number(value);
  if (!/^\d+$/.test(value) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new InvalidArgumentError(`a bcrypt cost is a whole number from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}`);
  }
  return cost;
}

/** Runs one subcommand: errors become `private-registry user <sub>: <message>` on stderr and exit status 2. */
function action<A extends unknown[]>(sub: string, run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return adminAction('user', sub, run);
}

const FILE_HELP = `
The file is --htpasswd FILE, else auth.htpasswd.path of the configuration (--config FILE, else
$REGISTRY_CONFIGURATION_PATH, as for serve). The password is asked twice on a terminal (no echo), else read
from the first line of stdin; it is never taken from the command line. Lines written are bcrypt ($2y$), as
\`htpasswd -B\` writes them; a running registry reloads the file by itself. Exit status 2 on any error.`;

export function registerUserCommand(program: Command): void {
  const user = program
    .command('user')
    .description('manage the htpasswd users (auth.htpasswd)')
    .addHelpText('after', FILE_HELP)
    // Usage errors (unknown option, missing NAME) exit 2 like every other failure of these commands.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));

  const withFile = (command: Command): Command =>
    command.option('-c, --config <file>', 'configuration file (same rules as serve)').option('--htpasswd <file>', 'the htpasswd file (instead of auth.htpasswd.path)');
  const withPassword = (command: Command): Command =>
    withFile(command)
      .option('--cost <n>', `bcrypt cost (default: auth.htpasswd.cost, else ${DEFAULT_BCRYPT_COST})`, parseCost)
      .option('--password-stdin', 'read the password from the first line of stdin (also the default when stdin is not a terminal)');

  withPassword(user.command('add').description('add a user (creates the file, mode 0600, if needed)').argument('<name>', 'user name')).action(
    action('add', (name: string, options: PasswordOptions) => addUser(name, options)),
  );
  withPassword(user.command('passwd').description("change a user's password").argument('<name>', 'user name')).action(
    action('passwd', (name: string, options: PasswordOptions) => changePassword(name, options)),
  );
  withFile(user.command('remove').description('remove a user').argument('<name>', 'user name')).action(
    action('remove', (name: string, options: FileOptions) => removeUser(name, options)),
  );
  withFile(user.command('list').description('print the user names, one a line')).action(action('list', (options: FileOptions) => listUsers(options)));
}
