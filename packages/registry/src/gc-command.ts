// `private-registry gc`: one garbage collection (with the configured retention policies) over the store the
// configuration names, safe while registries serve it (the same lock and sweep intent as the server's own
// collector). --dry-run lists every tag, manifest and blob that would go and the rule that decided.
import { Command, InvalidArgumentError } from 'commander';
import { createLogger } from '@private-registry/core';
import { EXIT_USAGE, openCliStorageOrExit, type ConfigOption } from './cli-context.js';
import { isRepositoryGlob } from './auth/repository-glob.js';
import { parseGoDuration } from './config/go-duration.js';
import { parseHumanDuration } from './auth/human-duration.js';
import { RegistryServices } from './services/registry-services.js';
import { GarbageCollector, gcOptionsOf, type GcDecision, type GcSummary } from './gc/garbage-collector.js';
import { progressReport } from './maintenance/progress-report.js';
import { formatAge } from './gc/retention-rules.js';

interface GcCliOptions extends ConfigOption {
  dryRun?: boolean;
  deleteUntagged?: boolean;
  repository?: string;
  gracePeriod?: number;
  json?: boolean;
}

/** Exit status when the collection itself failed (store error, another collection holds the lock). */
const EXIT_FAILED = 1;

function describe(decision: GcDecision, dryRun: boolean): string {
  const verb = dryRun ? 'would delete' : 'deleting';
  switch (decision.kind) {
    case 'tag':
      return `${verb} tag ${decision.repository}:${decision.tag} (${decision.digest})\t${decision.rule}`;
    case 'manifest':
      return `${verb} manifest ${decision.repository}@${decision.digest}\t${decision.rule}`;
    case 'blob':
      return `${verb} blob ${decision.digest} (${decision.size} bytes)\t${decision.rule}`;
  }
}

function summaryLine(s: GcSummary): string {
  const verb = s.dryRun ? 'would delete' : 'deleted';
  return (
    `gc ${s.dryRun ? 'dry run ' : ''}finished in ${(s.durationMs / 1000).toFixed(1)}s: scanned ${s.repositories} repositories, ${s.tagsScanned} tags, ` +
    `${s.manifestsScanned} manifests, ${s.blobsScanned} blobs; ${verb} ${s.tagsDeleted} tags, ${s.manifestsDeleted} manifests, ${s.blobsDeleted} blobs ` +
    `(${s.bytesFreed} bytes); kept ${s.blobsKept} blobs${s.spared > 0 ? `; spared ${s.spared} objects pushed during the sweep` : ''}\n`
  );
}

async function gc(options: GcCliOptions): Promise<void> {
  const opened = await openCliStorageOrExit('gc', options);
  if (opened === undefined) return;
  const { loaded, driver } = opened;
  const log = createLogger({ level: 'info', destination: process.stderr, base: { service: 'private-registry', command: 'gc' } });
  const services = new RegistryServices(driver, { deleteEnabled: true, readOnly: false, catalogMaxEntries: loaded.config.catalog.maxEntries });
  const decisions: GcDecision[] = [];
  const dryRun = options.dryRun === true || loaded.config.storage.gc.dryRun;
  const runOptions = gcOptionsOf(loaded.config.storage.gc, {
    dryRun,
    progress: progressReport({ log }),
    onDecision: (decision) => {
      if (options.json) decisions.push(decision);
      else if (dryRun) process.stdout.write(`${describe(decision, true)}\n`);
    },
    ...(options.deleteUntagged ? { deleteUntagged: true } : {}),
    ...(options.repository === undefined ? {} : { repository: options.repository }),
    ...(options.gracePeriod === undefined ? {} : { gracePeriodMs: options.gracePeriod }),
  });
  try {
    const summary = await new GarbageCollector(driver, services, log).run(runOptions);
    if (options.json) process.stdout.write(`${JSON.stringify({ summary, gracePeriod: formatAge(runOptions.gracePeriodMs), ...(dryRun ? { decisions } : {}) }, null, 2)}\n`);
    else process.stdout.write(summaryLine(summary));
  } catch (err) {
    process.stderr.write(`private-registry gc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT_FAILED;
  }
}

function repositoryGlob(value: string): string {
  if (!isRepositoryGlob(value)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a repository glob (lower-case name components, "/", "*" and "**")`);
  return value;
}

function duration(value: string): number {
  const ms = /^\d+[dw]$/i.test(value) ? parseHumanDuration(value) : parseGoDuration(value);
  if (ms === undefined || ms === null || ms < 0) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a duration (e.g. "30m", "1h", "2d")`);
  return ms;
}

export function registerGcCommand(program: Command): void {
  program
    .command('gc')
    .description('collect garbage: delete what no kept tag reaches and what retention policies expire (safe while registries run)')
    .option('-c, --config <file>', 'configuration file (same rules as serve)')
    .option('--dry-run', 'list what would be deleted, and the rule that decided, without deleting')
    .option('--delete-untagged', 'also delete manifests no tag reaches, in repositories no retention policy governs')
    .option('--repository <glob>', 'delete tags and manifests only in matching repositories (blobs are shared: all are scanned)', repositoryGlob)
    .option('--grace-period <duration>', 'nothing younger than this is deleted (default storage.gc.graceperiod, 1h)', duration)
    .option('--json', 'print the summary (and with --dry-run the decisions) as JSON')
    .addHelpText('after', '\nExit status: 0 done; 1 the collection failed (store error, another collection holds the lock); 2 bad options or configuration.')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .action(gc);
}
