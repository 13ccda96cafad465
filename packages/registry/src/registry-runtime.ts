// Starts a whole registry from a loaded configuration: driver (checked before anything listens), app,
// listener, upload purger; says where it listens, where it stores, and whether anyone may push.
import { createLogger, type Logger } from '@private-registry/core';
import type { LoadedConfig, RegistryConfig, TlsConfig } from './config/registry-config.js';
import { createRegistryApp } from './app.js';
import { listen, type TlsFiles } from './http-listener.js';
import { openStorage } from './storage/create-driver.js';
import { preflightStorage } from './storage/storage-preflight.js';
import { StorageReadiness } from './storage/storage-readiness.js';
import { openRegistryWarning } from './open-registry-warning.js';
import { scheduleUploadPurge } from './services/upload-purger.js';
import { scheduleGc, type GcOutcome } from './gc/gc-schedule.js';
import { PullRecorder } from './gc/pull-recorder.js';
import type { AlertRelay } from './alerts/alert-relay.js';
import { attachAlerter } from './alerts/alerter.js';
import { REGISTRY_VERSION } from './http/registry-version.js';
import { startDebugServer } from './debug-server.js';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { RegistryServices } from './services/registry-services.js';
import { NotificationBus } from './notifications/notification-bus.js';
import type { RegistryMetrics } from './metrics/registry-metrics.js';
import { instrumentDriver } from './storage/instrumented-driver.js';
import { runsHousekeeping, type WorkerRole } from './workers/worker-role.js';
import { isRegistryMessage, sendToPrimary } from './workers/worker-messages.js';

export interface RunningRegistry {
  url: string;
  port: number;
  services: RegistryServices;
  log: Logger;
  /** Webhook notifications when an endpoint is configured (its stats() feed the metrics). */
  notifications: NotificationBus | undefined;
  /** This process's metrics, when the debug listener serves them (the gc scheduler records its runs here). */
  metrics?: RegistryMetrics;
  close(): Promise<void>;
}

/** The first purge waits a minute so a restart loop never turns into a purge loop. */
const FIRST_PURGE_DELAY_MS = 60_000;

/** How long the startup check waits for the store before starting anyway as "not ready". */
const STORAGE_CHECK_TIMEOUT_MS = 10_000;

function tlsFiles(tls: TlsConfig | undefined): TlsFiles | undefined {
  if (!tls) return undefined;
  const files: TlsFiles = { certificate: tls.certificate, key: tls.key, minimumTls: tls.minimumTls === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2', cipherSuites: tls.cipherSuites };
  if (tls.clientCas.length > 0) {
    files.clientCas = tls.clientCas;
    files.clientAuth = tls.clientAuth;
  }
  return files;
}

export function loggerFor(config: RegistryConfig, destination?: NodeJS.WritableStream, alerts?: AlertRelay): Logger {
  const options = { level: config.log.level, format: config.log.formatter, base: { service: 'private-registry', ...config.log.fields } };
  return createLogger({ ...options, ...(destination ? { destination } : {}), ...(alerts ? { onAlert: alerts.onAlert } : {}) });
}

/**
 * `role`: one of several workers (http.workers). A worker serves the port like a single process, but the debug
 * listener, the notification queues and the alert mails are the primary's, and only worker 0 runs housekeeping.
 */
export async function startRegistry(loaded: LoadedConfig, log: Logger = loggerFor(loaded.config), alerts?: AlertRelay, role?: WorkerRole): Promise<RunningRegistry> {
  const { config } = loaded;
  // Alert mails: only with somewhere to send them, and only when the logger feeds the relay.
  const alerter = alerts === undefined ? undefined : attachAlerter(alerts, config.mail, log, REGISTRY_VERSION);
  // Under workers the primary has said these once.
  if (role === undefined) for (const warning of loaded.warnings) log.warn(warning);
  const address = config.http.listen;
  if (address.net !== 'tcp') {
    throw new Error(`invalid configuration: http.net: "unix" sockets are not supported yet`);
  }
  const opened = await openStorage(config.storage, { warn: (message) => log.warn(message) });
  const { location } = opened;
  // Metrics only where something reads them: without the debug listener prom-client is never loaded.
  const debugListen = config.http.debug?.listen;
  const metrics = debugListen?.net === 'tcp' ? new (await import('./metrics/registry-metrics.js')).RegistryMetrics({ version: REGISTRY_VERSION }) : undefined;
  if (metrics && role) (await import('./workers/worker-metrics.js')).shareMetrics(metrics.registry);
  const driver = metrics ? instrumentDriver(opened.driver, metrics.storage) : opened.driver;
  // A misconfigured store stops startup here (StorageMisconfiguredError); an unreachable one does not.
  const filesystemRoot = location.storage === 'filesystem' ? location.root : undefined;
  const probe = await preflightStorage(driver, { timeoutMs: STORAGE_CHECK_TIMEOUT_MS, ...(filesystemRoot === undefined ? {} : { filesystemRoot }) });
  const readiness = new StorageReadiness(driver, log);
  readiness.seed(probe);
  if (!probe.ok) {
    log.warn({ ...location, reason: probe.reason }, 'storage is not answering: starting anyway; storage operations answer 503 and /readyz is not ready until it is back');
  }
  // A broken htpasswd file or signing key stops startup here, naming the file and line.
  // Imported only with auth on: an open registry never loads bcrypt, jose, picomatch or the rate limiter.
  const accessControl = config.auth === undefined ? undefined : await (await import('./auth/auth-setup.js')).createAccessControl(config.auth, { driver, log, http: config.http, sharedLimits: role !== undefined });
  // Opens the on-disk queues (and starts sending what a previous run left) before anything listens.
  const sourceAddr = `${hostname()}:${address.port}`;
  const notifications = role
    ? NotificationBus.forwarding(config.notifications, { log, sourceAddr }, (endpoint, event) => sendToPrimary({ type: 'registry:notify', endpoint, event }))
    : await NotificationBus.start(config.notifications, { log, sourceAddr });
  const housekeeping = runsHousekeeping(role);
  // One download per blob: across workers (the primary decides) and, with proxy.etcd, across replicas.
  const mirroring = config.proxy.upstreams.length > 0;
  const flights = {
    ...(role !== undefined && mirroring ? { flights: new (await import('./mirror/worker-flights.js')).WorkerFlights() } : {}),
    ...(config.proxy.etcd !== undefined && mirroring
      ? { replicas: new (await import('./mirror/etcd-replica-flights.js')).EtcdReplicaFlights(config.proxy.etcd, log.child({ component: 'mirror' })) }
      : {}),
  };
  if (accessControl && metrics) accessControl.gate.observeFailures((reason) => metrics.authFailed(reason));
  // The web UI: imported only when on, so a registry without it never loads Preact.
  const ui = config.ui.enabled
    ? await (await import('./ui/ui-setup.js')).setupUi({
        config,
        driver,
        log,
        ...(accessControl ? { access: accessControl.gate } : {}),
        readiness,
        ...(notifications ? { notifications } : {}),
        location,
        version: REGISTRY_VERSION,
        announce: role === undefined || housekeeping,
      })
    : undefined;
  const { app, services } = createRegistryApp({
    ...(notifications ? { notifications } : {}),
    ...(accessControl ? { access: accessControl.gate } : {}),
    ...(accessControl?.tokenEndpoint ? { tokenEndpoint: accessControl.tokenEndpoint } : {}),
    ...(metrics ? { metrics: metrics.http } : {}),
    ...(ui ? { ui: ui.handler } : {}),
    driver,
    readiness,
    policy: {
      deleteEnabled: config.storage.delete.enabled,
      readOnly: config.storage.maintenance.readOnly.enabled,
      catalogMaxEntries: config.catalog.maxEntries,
    },
    urls: { host: config.http.host, relative: config.http.relativeUrls, tls: config.http.tls !== undefined },
    log,
    accessLog: !config.log.accessLog.disabled,
    prefix: config.http.prefix,
    headers: config.http.headers,
    // Spooled downloads next to the data they become (a big layer may not fit a tmpfs /tmp).
    mirror:
      config.storage.filesystem === undefined
        ? { proxy: config.proxy, housekeeping, ...flights }
        : { proxy: config.proxy, housekeeping, ...flights, spoolDir: join(config.storage.filesystem.rootDirectory, 'mirror-spool'), spoolStoragePrefix: '/mirror-spool' },
  });
  const tls = tlsFiles(config.http.tls);
  const listenOn = (host: string) =>
    listen(app, { host, port: address.port, drainTimeoutMs: config.http.drainTimeoutMs, ...(tls ? { tls } : {}) }, log);
  // ":5000" means every interface: IPv6 and IPv4 on one socket, or IPv4 alone where IPv6 is off.
  const listener = address.host
    ? await listenOn(address.host)
    : await listenOn('::').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL') return listenOn('0.0.0.0');
        throw err;
      });
  if (metrics && services.mirror) metrics.watchMirror(services.mirror.stats);
  // The mirror's counters for /debug/vars: this process's own, or (a worker) for the primary to add up.
  const mirrorVars = (): { mirror?: Record<string, number> } => (services.mirror ? { mirror: services.mirror.stats.snapshot() } : {});
  const stopAnsweringVars = role === undefined ? () => undefined : answerVarsRequests(mirrorVars);
  if (metrics && notifications && !role) metrics.watchNotifications(() => notifications.stats());
  const metricsPath = config.http.debug?.prometheus.path ?? '/metrics';
  const debug =
    debugListen && debugListen.net === 'tcp' && metrics && !role
      ? await startDebugServer({ host: debugListen.host ?? '::', port: debugListen.port }, readiness, log, mirrorVars, { path: metricsPath, metrics })
      : undefined;
  if (debug) log.info({ url: debug.url, metrics: metricsPath }, `debug server listening (/debug/health, /debug/vars, ${metricsPath})`);
  const purging = config.storage.maintenance.uploadPurging;
  const stopPurge = purging.enabled && housekeeping
    ? scheduleUploadPurge(driver, { ...purging, firstRunMs: Math.min(FIRST_PURGE_DELAY_MS, purging.intervalMs) }, log)
    : () => undefined;
  // Pull times feed retention (keeppulledwithin); a read-only registry records none (it may not write).
  if (!config.storage.maintenance.readOnly.enabled) services.pulls = new PullRecorder(driver, log);
  const gc = config.storage.gc;
  const recordGc = (outcome: GcOutcome): void => {
    if (metrics === undefined || outcome.result === 'skipped') return;
    if (outcome.result === 'failed') metrics.recordGcRun({ result: 'failed', blobsDeleted: 0, manifestsDeleted: 0, tagsDeleted: 0, bytesFreed: 0, durationMs: outcome.durationMs });
    else metrics.recordGcRun({ result: 'ok', ...outcome.summary });
  };
  const stopGc = gc.enabled && housekeeping && !config.storage.maintenance.readOnly.enabled ? scheduleGc(driver, services, gc, log, recordGc) : async () => undefined;
  if (gc.enabled && housekeeping) log.info({ intervalMs: gc.intervalMs, gracePeriodMs: gc.gracePeriodMs, deleteUntagged: gc.deleteUntagged, retentionPolicies: gc.retention.length, dryRun: gc.dryRun }, 'online garbage collection scheduled');
  // The root is absolute by now (config/default-root.ts decided it when none was configured).
  const where = config.storage.filesystem?.rootDirectory ?? location.storage;
  if (loaded.source === 'defaults' && config.http.addrIsDefault) {
    log.info({ addr: config.http.addr, storage: where }, `no configuration file: listening on ${config.http.addr}, storing under ${where}`);
  }
  log.info({ url: listener.url, addr: config.http.addr, ...location, tls: tls !== undefined, auth: authSummary(config), config: loaded.source }, 'registry listening');
  // Under workers the primary says it once.
  const openWarning = role === undefined ? openRegistryWarning(config) : undefined;
  if (openWarning !== undefined) log.warn({ addr: config.http.addr }, openWarning);
  return {
    url: listener.url,
    port: listener.port,
    services,
    log,
    notifications,
    ...(metrics ? { metrics } : {}),
    close: async () => {
      // First of all no new connection (the drain finishes what is in flight meanwhile).
      const draining = Promise.all([listener.close(), debug?.close()]);
      stopPurge();
      stopAnsweringVars();
      await stopGc();
      await draining;
      // After the drain: the pulls it answered are recorded, its failures can still be mailed, and a request
      // still being answered may follow another worker's or replica's download.
      await services.pulls?.close().catch((err: unknown) => log.warn({ err }, 'pull times not written at shutdown'));
      readiness.close();
      accessControl?.close();
      ui?.close();
      await alerter?.close();
      services.mirror?.close();
      // After the listener: requests that drained have queued their events; these reach the disk now.
      await notifications?.close();
    },
  };
}

/** A worker's side of the primary's /debug/vars: its memory and `extra`, on request. */
function answerVarsRequests(extra: () => { mirror?: Record<string, number> }): () => void {
  const listener = (message: unknown): void => {
    if (isRegistryMessage(message) && message.type === 'registry:vars-request') {
      sendToPrimary({ type: 'registry:vars', id: message.id, vars: { memory: process.memoryUsage(), ...extra() } });
    }
  };
  process.on('message', listener);
  return () => process.off('message', listener);
}

/** How requests are authenticated, for the startup line: "none", "htpasswd", "token", "htpasswd+token(builtin)". */
function authSummary(config: RegistryConfig): string {
  const auth = config.auth;
  if (auth === undefined) return 'none';
  const parts: string[] = [];
  if (auth.htpasswd) parts.push('htpasswd');
  if (auth.token) parts.push(auth.token.builtin ? 'token(builtin)' : 'token');
  return parts.join('+');
}
