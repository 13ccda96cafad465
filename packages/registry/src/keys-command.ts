// `private-registry keys list|rotate|certs`: the built-in token service's signing keys in the store.
// `certs` prints the certificates another registry (CNCF distribution's `auth.token.rootcertbundle`)
// trusts to accept our tokens; `rotate` makes a new signing key now (the old one verifies until its tokens
// have expired). No private key is ever printed.
import { Command } from 'commander';
import { createLogger } from '@private-registry/core';
import { SigningKeys } from './auth/signing-keys.js';
import { adminAction, EXIT_USAGE, openCliStorage, type ConfigOption } from './cli-context.js';

async function openKeys(options: ConfigOption): Promise<SigningKeys> {
  const { loaded, driver } = await openCliStorage(options);
  const builtin = loaded.config.auth?.token?.builtin;
  if (builtin === undefined) throw new Error('the configuration has no built-in token service (auth.token.builtin)');
  const log = createLogger({ level: 'warn', destination: process.stderr, base: { service: 'private-registry' } });
  const keys = await SigningKeys.open({
    driver,
    ...(builtin.signingKey === undefined ? {} : { keyFile: builtin.signingKey }),
    rotationMs: builtin.rotationMs,
    tokenLifetimeS: builtin.expirationS,
    refreshLifetimeMs: builtin.refreshExpirationMs,
    log,
  });
  keys.close();
  return keys;
}

async function list(options: ConfigOption): Promise<void> {
  const keys = await openKeys(options);
  const current = keys.current().id;
  const lines = keys.verificationKeys().map((key) => [key.id, key.alg, new Date(key.createdAt).toISOString(), key.id === current ? 'current' : 'retired (verifies until its tokens expire)'].join('\t'));
  process.stdout.write(['KID\tALG\tCREATED\tSTATE', ...lines].join('\n') + '\n');
}

async function rotate(options: ConfigOption): Promise<void> {
  const keys = await openKeys(options);
  const previous = keys.current().id;
  const next = await keys.rotate();
  process.stderr.write(`new signing key ${next.id} (previous ${previous} still verifies until its tokens expire); running registries sign with it within 15 seconds\n`);
}

async function certs(options: ConfigOption): Promise<void> {
  process.stdout.write((await openKeys(options)).certificatesPem());
}

export function registerKeysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description("the built-in token service's signing keys (auth.token.builtin), kept in the store")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
  const withConfig = (command: Command): Command => command.option('-c, --config <file>', 'configuration file (same rules as serve)');
  withConfig(keys.command('list')).description('list the keys: id, algorithm, creation, current or retired').action(adminAction('keys', 'list', list));
  withConfig(keys.command('rotate')).description('make a new signing key now').action(adminAction('keys', 'rotate', rotate));
  withConfig(keys.command('certs')).description('print the PEM certificates of the keys (a rootcertbundle for other registries)').action(adminAction('keys', 'certs', certs));
}
