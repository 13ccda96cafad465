// `private-registry fsck [--repair] [--json]`: checks the store the configuration names (see
// maintenance/store-check.ts) and, with --repair, puts right what can be without losing data
// (maintenance/store-repair.ts). Exit status: 0 clean (or everything repaired), 1 problems remain, 2 usage.
import { Command } from 'commander';
import { createLogger } from '@private-registry/core';
import { EXIT_USAGE, openCliStorageOrExit, type ConfigOption } from './cli-context.js';
import { progressReport } from './maintenance/progress-report.js';
import { checkStore, type StoreCheck } from './maintenance/store-check.js';
import { sweepLockFor } from './gc/sweep-lock.js';
import { quarantineStamp, repairStore } from './maintenance/store-repair.js';
import { describeFinding, summarize, summaryLine } from './maintenance/fsck-findings.js';

interface FsckOptions extends ConfigOption {
  repair?: boolean;
  json?: boolean;
}

const EXIT_PROBLEMS = 1;

async function fsck(options: FsckOptions): Promise<void> {
  const opened = await openCliStorageOrExit('fsck', options);
  if (opened === undefined) return;
  const started = new Date();
  const log = createLogger({ level: 'info', destination: process.stderr, base: { service: 'private-registry', command: 'fsck' } });
  try {
    // A repair takes the collectors' lock: it must not remove links a running sweep is deciding on, nor the reverse.
    const lock = options.repair ? await sweepLockFor(opened.driver, opened.loaded.config.storage.gc) : undefined;
    await lock?.acquire();
    let check: StoreCheck;
    try {
      check = await checkStore(opened.driver, progressReport({ log }));
      if (options.repair) await repairStore(opened.driver, check, quarantineStamp(started));
    } finally {
      await lock?.release();
    }
    const summary = summarize(check.findings, check.counts, Date.now() - started.getTime());
    if (options.json) process.stdout.write(`${JSON.stringify({ summary, findings: check.findings }, null, 2)}\n`);
    else process.stdout.write([...check.findings.map(describeFinding), summaryLine(summary)].join('\n') + '\n');
    process.exitCode = summary.remaining > 0 ? EXIT_PROBLEMS : 0;
  } catch (err) {
    process.stderr.write(`private-registry fsck: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_PROBLEMS;
  }
}

export function registerFsckCommand(program: Command): void {
  program
    .command('fsck')
    .description('check the store: every blob against its digest, every link, manifest reference and tag target')
    .option('-c, --config <file>', 'configuration file (same rules as serve)')
    .option('--repair', 'quarantine corrupt blobs, remove links to nothing, rebuild the referrers index (never deletes data)')
    .option('--json', 'print the findings and the summary as JSON')
    .addHelpText('after', '\nExit status: 0 the store is clean (or --repair fixed everything); 1 problems remain; 2 bad options or configuration.')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .action(fsck);
}
