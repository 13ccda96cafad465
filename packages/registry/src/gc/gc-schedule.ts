// The server's own collector (storage.gc.enabled): a run every `interval`, the first one interval after start
// (at most a minute), never two at once in this process; when another replica holds the lock the run is skipped.
import type { Logger } from '@private-registry/core';
import type { GcConfig } from '../config/registry-config.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { RegistryServices } from '../services/registry-services.js';
import { GarbageCollector, gcOptionsOf, type GcSummary } from './garbage-collector.js';
import { writeGcLastRun } from './gc-last-run.js';
import { GcLockBusyError } from './gc-lock.js';

export type GcOutcome = { result: 'ok'; summary: GcSummary } | { result: 'skipped'; reason: string } | { result: 'failed'; error: unknown; durationMs: number };

const FIRST_RUN_CAP_MS = 60_000;

export function scheduleGc(driver: StorageDriver, services: RegistryServices, config: GcConfig, log: Logger, onOutcome: (outcome: GcOutcome) => void = () => undefined): () => Promise<void> {
  const collector = new GarbageCollector(driver, services, log.child({ component: 'gc' }));
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = (): void => {
    if (running !== undefined || stopped) return;
    const started = Date.now();
    running = collector
      .run(gcOptionsOf(config))
      .then(
        (summary) => {
          log.info({ ...summary }, summary.dryRun ? 'gc dry run finished' : 'gc finished');
          onOutcome({ result: 'ok', summary });
        },
        (error: unknown) => {
          if (error instanceof GcLockBusyError) {
            log.info({ reason: error.message }, 'gc skipped: another replica is collecting');
            onOutcome({ result: 'skipped', reason: error.message });
            return;
          }
          log.error({ err: error, alert: 'gc' }, 'gc failed');
          const durationMs = Date.now() - started;
          onOutcome({ result: 'failed', error, durationMs });
          const message = error instanceof Error ? error.message : String(error);
          void writeGcLastRun(driver, { result: 'failed', finishedAt: new Date().toISOString(), error: message.slice(0, 500), durationMs }).catch(() => undefined);
        },
      )
      .finally(() => {
        running = undefined;
      });
  };
  const intervalMs = Math.min(config.intervalMs, 2 ** 31 - 1);
  const first = setTimeout(() => {
    run();
    interval.refresh();
  }, Math.min(FIRST_RUN_CAP_MS, intervalMs));
  const interval = setInterval(run, intervalMs);
  first.unref();
  interval.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(interval);
    await running;
  };
}
