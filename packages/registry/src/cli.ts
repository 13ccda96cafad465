#!/usr/bin/env node
// The `private-registry` command: `serve [config]` runs the registry until SIGTERM/SIGINT; `config check`
// prints the configuration `serve` would run with and whether it is acceptable.
import { Command } from 'commander';
import { createLogger, type Logger } from '@private-registry/core';
import { checkConfig } from './config-check-command.js';
import { invalidConfig, loadConfig } from './config/index.js';
import { loadOptionsOf } from './cli-context.js';
import { loggerFor, startRegistry, type RunningRegistry } from './registry-runtime.js';
import { REGISTRY_VERSION } from './http/registry-version.js';
import { registerUserCommand } from './user-command.js';
import { registerTokenCommand } from './token-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerGcCommand } from './gc-command.js';
import { AlertRelay } from './alerts/alert-relay.js';
import { registerFsckCommand } from './fsck-command.js';
import { servePrimary } from './workers/primary.js';
import { workerRole } from './workers/worker-role.js';
import { isRegistryMessage, sendToPrimary } from './workers/worker-messages.js';

const CONFIG_HELP = `
The configuration file is --config FILE (or the argument), else $REGISTRY_CONFIGURATION_PATH, else
$DOCKER_REGISTRY_CONFIG (the old docker-registry's variable; a flavors file, flavor $SETTINGS_FLAVOR,
default "dev"). REGISTRY_* variables override any key. With no file: 0.0.0.0:5000, filesystem storage
under /var/lib/registry when this process may write there, else \${XDG_DATA_HOME:-~/.local/share}/private-registry.`;


async function serve(configArg: string | undefined, options: { config?: string; strict?: boolean }): Promise<void> {
  const loaded = await loadConfig(loadOptionsOf(configArg, options));
  if (options.strict && loaded.unknownKeys.length > 0) {
    throw invalidConfig(loaded.unknownKeys[0] ?? '', `unknown configuration key${loaded.unknownKeys.length > 1 ? `s ${loaded.unknownKeys.map((k) => `"${k}"`).join(', ')}` : ''} (--strict)`);
  }
  const alerts = new AlertRelay();
  const role = workerRole();
  const base = loggerFor(loaded.config, undefined, alerts).child({ version: REGISTRY_VERSION });
  if (role === undefined && loaded.config.http.workers > 1) {
    await servePrimary(loaded, base, alerts);
    return;
  }
  const log = role === undefined ? base : base.child({ worker: role.index });
  if (role !== undefined) joinPrimary(log, alerts);
  const shutdown = (registry: RunningRegistry, signal: NodeJS.Signals): void => {
    log.info({ signal, drainTimeoutMs: loaded.config.http.drainTimeoutMs }, 'shutting down: finishing requests in flight');
    registry.close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Installed before startup: the "registry listening" line is written before startRegistry returns, and
  // a SIGTERM sent on seeing it must not meet the default action (killed by the signal, no drain). A
  // signal during startup is acted on once the registry is up.
  let registry: RunningRegistry | undefined;
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined) {
      // A worker hears of one shutdown twice when systemd signals the whole cgroup and the primary asks too.
      if (role !== undefined) return;
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    signalled = signal;
    if (registry !== undefined) shutdown(registry, signal);
  };
  process.on('SIGTERM', onSignal);
  if (role === undefined) process.on('SIGINT', onSignal);
  // A worker drains when its primary says so; Ctrl-C in a terminal reaches every process of the group, and only
  // the primary acts on it.
  else process.on('SIGINT', () => undefined);
  process.on('message', (message: unknown) => {
    if (isRegistryMessage(message) && message.type === 'registry:shutdown' && signalled === undefined) onSignal('SIGTERM');
  });
  registry = await startRegistry(loaded, log, role === undefined ? alerts : undefined, role);
  if (signalled !== undefined) shutdown(registry, signalled);
  else if (role !== undefined) sendToPrimary({ type: 'registry:ready', url: registry.url });
}

/**
 * A worker's ties to its primary: alert records go to the primary's mailer, and a primary that is gone (killed)
 * takes the worker with it at once, as a crash of a single process would.
 */
function joinPrimary(log: Logger, alerts: AlertRelay): void {
  alerts.attach((fields, message) => sendToPrimary({ type: 'registry:alert', fields: plainFields(fields), message }));
  process.on('disconnect', () => {
    log.error('the primary process is gone: exiting');
    process.exit(1);
  });
}

/** Log fields as IPC can carry them (an Error's message and code, not an empty object). */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(fields, (_key, value: unknown) => (value instanceof Error ? { message: value.message, code: (value as { code?: unknown }).code } : value))) as Record<string, unknown>;
}

async function check(configArg: string | undefined, options: { config?: string }): Promise<void> {
  const result = await checkConfig(loadOptionsOf(configArg, options));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}

const program = new Command()
  .name('private-registry')
  .description('A private OCI/Docker container registry (OCI Distribution API v1.1).')
  .version(REGISTRY_VERSION);

program
  .command('serve')
  .description('run the registry')
  .argument('[config]', "configuration file: CNCF distribution's config.yml format, or an old docker-registry flavors file")
  .option('-c, --config <file>', 'configuration file (same as the argument)')
  .option('--strict', 'refuse to start on unknown configuration keys (otherwise a warning)')
  .addHelpText('after', CONFIG_HELP)
  .action(serve);

const config = program.command('config').description('configuration tools');
config
  .command('check')
  .description('print the effective configuration (secrets <redacted>, each value with its source) and validate it')
  .argument('[config]', 'configuration file (same rules as serve)')
  .option('-c, --config <file>', 'configuration file (same as the argument)')
  .addHelpText(
    'after',
    `${CONFIG_HELP}

Warnings go to stderr. Exit status: 0 the configuration is valid (warnings allowed); 1 invalid values or
unknown keys (serve would refuse, or --strict would); 2 the file cannot be read or is not YAML.`,
  )
  .action(check);

// Administration commands register themselves here.
registerUserCommand(program);
registerTokenCommand(program);
registerKeysCommand(program);
registerGcCommand(program);
registerFsckCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Startup errors (bad configuration, port in use) are the operator's to fix: one clear line.
  const message = err instanceof Error ? err.message : String(err);
  createLogger({ level: 'error', base: { service: 'private-registry' } }).fatal({ code: (err as { code?: string }).code }, message);
  process.stderr.write(`private-registry: ${message}\n`);
  process.exit(2);
});
