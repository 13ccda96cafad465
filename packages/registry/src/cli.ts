#!/usr/bin/env node
// The `private-registry` command: `serve [config]` runs the registry until SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { createLogger } from '@private-registry/core';
import { loadConfig } from './config/index.js';
import { loggerFor, startRegistry } from './registry-runtime.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

async function serve(configArg: string | undefined, options: { config?: string }): Promise<void> {
  const file = options.config ?? configArg ?? process.env.REGISTRY_CONFIGURATION_PATH;
  const loaded = await loadConfig(file ? { file, env: process.env } : { env: process.env });
  const log = loggerFor(loaded.config).child({ version: pkg.version });
  const registry = await startRegistry(loaded, log);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
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
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const program = new Command()
  .name('private-registry')
  .description('A private OCI/Docker container registry (OCI Distribution API v1.1).')
  .version(pkg.version);

program
  .command('serve')
  .description('run the registry; with no configuration: 0.0.0.0:5000, filesystem storage under ./data')
  .argument('[config]', "configuration file in CNCF distribution's config.yml format")
  .option('-c, --config <file>', 'configuration file (same as the argument)')
  .action(serve);

program.parseAsync(process.argv).catch((err: unknown) => {
  // Startup errors (bad configuration, port in use) are the operator's to fix: one clear line.
  const message = err instanceof Error ? err.message : String(err);
  createLogger({ level: 'error', base: { service: 'private-registry' } }).fatal({ code: (err as { code?: string }).code }, message);
  process.stderr.write(`private-registry: ${message}\n`);
  process.exit(2);
});
