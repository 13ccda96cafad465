#!/usr/bin/env node
// The `registry-sidekick` command. `run` announces the registry until SIGTERM/SIGINT, then revokes its
// lease and exits 0. Bad flags: one line on stderr naming the flag, exit 2.

import { CommanderError } from 'commander';
import { CodedError } from '@private-registry/core';
import { runSidekick } from './run-sidekick.js';
import { createSidekickProgram } from './sidekick-command.js';

/** Errors in what the operator gave us; anything else that escapes is a bug. */
const STARTUP_CODES = new Set(['OPTION_INVALID', 'ETCD_SETTINGS_INVALID', 'PREFIX_INVALID', 'RECORD_INVALID']);

const program = createSidekickProgram(async (options) => {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`registry-sidekick: second ${signal}, exiting without revoking\n`);
      process.exit(1);
    }
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await runSidekick(options, { signal: controller.signal });
  process.exit(0);
});

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander has printed its own message (or the help) already.
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`registry-sidekick: ${message}\n`);
  process.exit(err instanceof CodedError && STARTUP_CODES.has(err.code) ? 2 : 1);
});
