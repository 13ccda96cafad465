// What the primary itself holds under http.workers, so that it exists once however many workers serve: the
// notification queues (workers send it their events), the alert mails (workers send it their alert records),
// the failed-login counters (rate-limiter-flexible's cluster master), the mirror's download claims, and the
// debug listener (health from its own look at the store, metrics added up over the workers).
import { hostname } from 'node:os';
import type { Logger } from '@private-registry/core';
import type { RegistryConfig } from '../config/registry-config.js';
import type { AlertRelay } from '../alerts/alert-relay.js';
import { attachAlerter, type Alerter } from '../alerts/alerter.js';
import { NotificationBus } from '../notifications/notification-bus.js';
import { REGISTRY_VERSION } from '../http/registry-version.js';
import { startDebugServer } from '../debug-server.js';
import type { RunningListener } from '../http-listener.js';
import { openStorage } from '../storage/create-driver.js';
import { StorageReadiness } from '../storage/storage-readiness.js';
import type { PrimaryMessage, WorkerMessage } from './worker-messages.js';
import { FlightCoordinator } from './flight-coordinator.js';
import type { WorkerPool } from './worker-pool.js';

export class PrimaryServices {
  private constructor(
    private readonly log: Logger,
    private readonly alerter: Alerter | undefined,
    private readonly notifications: NotificationBus | undefined,
    readonly flights: FlightCoordinator,
    private readonly pool: () => WorkerPool,
    private readonly closers: Array<() => Promise<void> | void>,
  ) {}

  static async start(config: RegistryConfig, log: Logger, alerts: AlertRelay, pool: () => WorkerPool): Promise<PrimaryServices> {
    const closers: Array<() => Promise<void> | void> = [];
    const alerter = attachAlerter(alerts, config.mail, log, REGISTRY_VERSION);
    const notifications = await NotificationBus.start(config.notifications, { log, sourceAddr: `${hostname()}:${config.http.listen.net === 'tcp' ? config.http.listen.port : 0}` });
    if (config.auth !== undefined) {
      const { RateLimiterClusterMaster } = await import('rate-limiter-flexible');
      // Listens on the cluster's IPC channel for the workers' limiters; nothing to keep.
      new RateLimiterClusterMaster();
    }
    const flights = new FlightCoordinator((index, message) => pool().send(index, message));
    const debugListen = config.http.debug?.listen;
    if (debugListen?.net === 'tcp') {
      const { driver } = await openStorage(config.storage, { warn: (message) => log.warn(message) });
      const readiness = new StorageReadiness(driver, log);
      closers.push(() => readiness.close());
      const { Registry } = await import('prom-client');
      const { registerNotificationMetrics } = await import('../metrics/notification-metrics.js');
      const own = notifications === undefined ? undefined : new Registry();
      if (own !== undefined && notifications !== undefined) registerNotificationMetrics(own, () => notifications.stats());
      const { clusterMetrics } = await import('./worker-metrics.js');
      const path = config.http.debug?.prometheus.path ?? '/metrics';
      const vars = async (): Promise<Record<string, unknown>> => {
        const workers = await pool().vars();
        const mirrors = workers.flatMap((worker) => (worker.mirror === undefined ? [] : [worker.mirror]));
        return { workers, ...(mirrors.length > 0 ? { mirror: sumCounters(mirrors) } : {}) };
      };
      const debug: RunningListener = await startDebugServer({ host: debugListen.host ?? '::', port: debugListen.port }, readiness, log, vars, { path, metrics: clusterMetrics(own, () => pool().serving()) });
      closers.push(() => debug.close());
      log.info({ url: debug.url, metrics: path }, `debug server listening (/debug/health, /debug/vars, ${path})`);
    }
    return new PrimaryServices(log, alerter, notifications, flights, pool, closers);
  }

  /** A worker's message about something the primary holds. */
  handle(index: number, message: WorkerMessage): void {
    switch (message.type) {
      case 'registry:notify':
        this.notifications?.enqueueFor(message.endpoint, message.event);
        return;
      case 'registry:alert':
        this.alerter?.fromLog({ ...message.fields, worker: index }, message.message);
        return;
      case 'registry:ready':
      case 'registry:vars':
        return;
      case 'registry:tag-checked':
      case 'registry:pushed':
        this.broadcast(index, message);
        return;
      default:
        this.flights.handle(index, message);
    }
  }

  /** To every worker but `from`. */
  private broadcast(from: number, message: PrimaryMessage): void {
    const pool = this.pool();
    for (const { index } of pool.pids()) if (index !== from) pool.send(index, message);
  }

  /** After the workers are gone: their last events reach the disk, pending alerts are sent. */
  async close(): Promise<void> {
    for (const close of this.closers) await close();
    await this.notifications?.close();
    await this.alerter?.close();
    this.log.debug('primary services closed');
  }
}

/** The workers' counters added up, name by name. */
function sumCounters(all: Array<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const counters of all) for (const [name, value] of Object.entries(counters)) sum[name] = (sum[name] ?? 0) + value;
  return sum;
}
