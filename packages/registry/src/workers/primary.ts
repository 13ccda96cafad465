// `serve` with http.workers > 1: this process forks the workers, holds what must exist once (PrimaryServices)
// and serves no request itself. SIGTERM/SIGINT: every worker drains (http.draintimeout), then the primary's
// queues are written and it exits; a second signal kills the workers at once.
import type { Logger } from '@private-registry/core';
import type { LoadedConfig } from '../config/registry-config.js';
import type { AlertRelay } from '../alerts/alert-relay.js';
import { openRegistryWarning } from '../open-registry-warning.js';
import { PrimaryServices } from './primary-services.js';
import { WorkerPool, WorkerStartError } from './worker-pool.js';

/** Beyond the drain: time for a worker to close its store and queues after its last request. */
const STOP_MARGIN_MS = 10_000;

export async function servePrimary(loaded: LoadedConfig, log: Logger, alerts: AlertRelay): Promise<void> {
  const { config } = loaded;
  for (const warning of loaded.warnings) log.warn(warning);
  let pool: WorkerPool | undefined;
  const services = await PrimaryServices.start(config, log, alerts, () => {
    if (pool === undefined) throw new Error('worker pool used before it exists');
    return pool;
  });
  pool = new WorkerPool({
    count: config.http.workers,
    stopTimeoutMs: config.http.drainTimeoutMs + STOP_MARGIN_MS,
    log,
    onMessage: (index, message) => services.handle(index, message),
    onExit: (index) => services.flights.workerGone(index),
  });
  const running = pool;
  let signalled: NodeJS.Signals | undefined;
  /** A stop begun because a starting worker died of SIGTERM: the same signal reaching this process is no second one. */
  let groupSignalPending = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled !== undefined && groupSignalPending) {
      groupSignalPending = false;
      return;
    }
    if (signalled !== undefined) {
      log.warn({ signal }, 'second signal: exiting at once');
      running.kill();
      process.exit(1);
    }
    signalled = signal;
    log.info({ signal, drainTimeoutMs: config.http.drainTimeoutMs, workers: config.http.workers }, 'shutting down: every worker finishes its requests in flight');
    void running
      .stop()
      .then(async (code) => {
        await services.close();
        log.info('stopped');
        process.exit(code);
      })
      .catch((err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await pool.start();
  } catch (err) {
    if (!(err instanceof WorkerStartError)) throw err;
    // Asked to stop while starting: the stop above is under way and exits. A SIGTERM sent to the whole group can
    // end a worker still loading before this process has run its own handler: that is the same request.
    if (signalled !== undefined) return;
    if (err.signal === 'SIGTERM' || err.signal === 'SIGINT') {
      onSignal(err.signal);
      groupSignalPending = true;
      return;
    }
    // The worker said why on stderr; the others are stopped and the primary exits with its code.
    running.kill();
    await services.close().catch(() => undefined);
    process.exit(err.exitCode);
  }
  log.info({ workers: pool.pids() }, `${config.http.workers} workers serving`);
  const openWarning = openRegistryWarning(config);
  if (openWarning !== undefined) log.warn({ addr: config.http.addr }, openWarning);
}
