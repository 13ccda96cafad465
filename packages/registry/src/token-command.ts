// `private-registry token create|list|revoke`: long-lived access tokens for robots (CI runners, deploy jobs),
// kept in the registry's store, so every replica sharing it knows them. The secret is printed once, on stdout
// alone; only its hash is stored.
import { Command, InvalidArgumentError } from 'commander';
import { AccessTokens, type AccessTokenInfo } from './auth/access-tokens.js';
import { parseHumanDuration } from './auth/human-duration.js';
import type { ScopeGrant } from './auth/principal.js';
import { parseScope } from './auth/token-scope-grant.js';
import { adminAction, EXIT_USAGE, openCliStorage, type ConfigOption } from './cli-context.js';

/** Robots outlive people's sessions, not forever: 90 days unless told (`never` must be asked for). */
const DEFAULT_EXPIRY = '90d';

interface CreateOptions extends ConfigOption {
  name: string;
  scope: ScopeGrant[];
  expires: string;
  description?: string;
}

function collectScope(value: string, previous: ScopeGrant[] = []): ScopeGrant[] {
  try {
    return [...previous, parseScope(value)];
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}

async function tokens(options: ConfigOption): Promise<AccessTokens> {
  const { driver } = await openCliStorage(options);
  return new AccessTokens(driver);
}

async function create(options: CreateOptions): Promise<void> {
  const lifetime = parseHumanDuration(options.expires);
  if (lifetime === undefined) throw new Error(`--expires ${JSON.stringify(options.expires)}: give a duration such as 30m, 12h, 90d, 1y, or "never"`);
  const store = await tokens(options);
  const { secret, token } = await store.create({
    name: options.name,
    scopes: options.scope,
    ...(lifetime === null ? {} : { expiresAt: new Date(Date.now() + lifetime) }),
    ...(options.description === undefined ? {} : { description: options.description }),
  });
  process.stdout.write(`${secret}\n`);
  process.stderr.write(
    `created token ${JSON.stringify(token.name)} (${token.scopes.join(' ')}; expires ${token.expiresAt ?? 'never'}). ` +
      `The secret above is shown once: use it as the password of \`docker login -u ${token.name}\`.\n`,
  );
}

function isExpired(token: AccessTokenInfo, now: number): boolean {
  return token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now;
}

function describe(token: AccessTokenInfo, now: number): string {
  const expired = isExpired(token, now);
  const expires = token.expiresAt === undefined ? 'never' : `${token.expiresAt}${expired ? ' (expired)' : ''}`;
  return [token.name, token.scopes.join(' '), token.createdAt, expires, token.description ?? ''].join('\t');
}

async function list(options: ConfigOption & { json?: boolean }): Promise<void> {
  const all = await (await tokens(options)).list();
  const now = Date.now();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(all.map((token) => ({ ...token, expired: isExpired(token, now) })), null, 2)}\n`);
    return;
  }
  process.stdout.write(['NAME\tSCOPES\tCREATED\tEXPIRES\tDESCRIPTION', ...all.map((token) => describe(token, now))].join('\n') + '\n');
}

async function revoke(name: string, options: ConfigOption): Promise<void> {
  if (!(await (await tokens(options)).revoke(name))) throw new Error(`no token named ${JSON.stringify(name)}`);
  process.stderr.write(`revoked token ${JSON.stringify(name)}; running registries refuse it within 5 seconds\n`);
}

export function registerTokenCommand(program: Command): void {
  const token = program
    .command('token')
    .description('long-lived access tokens for robots (the password of docker login), kept in the store')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
  const withConfig = (command: Command): Command => command.option('-c, --config <file>', 'configuration file (same rules as serve): the store the tokens live in');
  withConfig(token.command('create'))
    .description('create a token and print its secret (once)')
    .requiredOption('--name <name>', 'the token name: the user name of docker login (lower case, digits, ".", "_", "-")')
    .requiredOption('--scope <glob:actions>', 'what it may do, e.g. "ci/**:pull,push" (repeatable; actions pull, push, overwrite, delete, admin)', collectScope)
    .option('--expires <duration>', 'lifetime: 30m, 12h, 90d, 1y, or "never"', DEFAULT_EXPIRY)
    .option('--description <text>', 'a note for `token list`')
    .action(adminAction('token', 'create', create));
  withConfig(token.command('list')).description('list the tokens (never their secrets)').option('--json', 'as JSON').action(adminAction('token', 'list', list));
  withConfig(token.command('revoke')).description('revoke a token by name').argument('<name>', 'token name').action(adminAction('token', 'revoke', revoke));
}
