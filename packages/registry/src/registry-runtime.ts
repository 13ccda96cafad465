// Starts a whole registry from a loaded configuration: driver, app, listener, upload purger.
import { createLogger, type Logger } from '@private-registry/core';
import type { LoadedConfig, RegistryConfig, TlsConfig } from './config/registry-config.js';
import { createRegistryApp } from './app.js';
import { listen, type TlsFiles } from './http-listener.js';
import { createStorageDriver } from './storage/create-driver.js';
import { scheduleUploadPurge } from './services/upload-purger.js';
import { startDebugServer } from './debug-server.js';
import { join } from 'node:path';
import type { RegistryServices } from './services/registry-services.js';

export interface RunningRegistry {
  url: string;
  port: number;
  services: RegistryServices;
  log: Logger;
  close(): Promise<void>;
}

/** The first purge waits a minute so a restart loop never turns into a purge loop. */
const FIRST_PURGE_DELAY_MS = 60_000;

function tlsFiles(tls: TlsConfig | undefined): TlsFiles | undefined {
  if (!tls) return undefined;
  const files: TlsFiles = { certificate: tls.certificate, key: tls.key, minimumTls: tls.minimumTls === 'tls1.3' ? 'TLSv1.3' : 'TLSv1.2' };
  if (tls.clientCas.length > 0) {
    files.clientCas = tls.clientCas;
    files.clientAuth = tls.clientAuth;
  }
  return files;
}

export function loggerFor(config: RegistryConfig, destination?: NodeJS.WritableStream): Logger {
  const options = { level: config.log.level, base: { service: 'private-registry', ...config.log.fields } };
  return createLogger(destination ? { ...options, destination } : options);
}

export async function startRegistry(loaded: LoadedConfig, log: Logger = loggerFor(loaded.config)): Promise<RunningRegistry> {
  const { config } = loaded;
  for (const warning of loaded.warnings) log.warn(warning);
  if (config.ignoredKeys.includes('auth')) {
    // Starting open when the operator asked for authentication would be a silent security hole.
    throw new Error('invalid configuration: auth: authentication is not supported in this version yet; remove the auth section to run an open registry');
  }
  const address = config.http.listen;
  if (address.net !== 'tcp') {
    throw new Error(`invalid configuration: http.net: "unix" sockets are not supported yet`);
  }
  const driver = createStorageDriver(config.storage, { warn: (message) => log.warn(message) });
  const { app, services } = createRegistryApp({
    driver,
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
        ? { proxy: config.proxy }
        : { proxy: config.proxy, spoolDir: join(config.storage.filesystem.rootDirectory, 'mirror-spool'), spoolStoragePrefix: '/mirror-spool' },
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
  const debugListen = config.http.debug?.listen;
  const debug =
    debugListen && debugListen.net === 'tcp'
      ? await startDebugServer({ host: debugListen.host ?? '::', port: debugListen.port }, driver, log, () => ({ ...(services.mirror ? { mirror: services.mirror.stats.snapshot() } : {}) }))
      : undefined;
  if (debug) log.info({ url: debug.url }, 'debug server listening (/debug/health, /debug/vars)');
  const purging = config.storage.maintenance.uploadPurging;
  const stopPurge = purging.enabled
    ? scheduleUploadPurge(driver, { ...purging, firstRunMs: Math.min(FIRST_PURGE_DELAY_MS, purging.intervalMs) }, log)
    : () => undefined;
  const where = config.storage.driver === 'filesystem' ? config.storage.filesystem?.rootDirectory : config.storage.driver;
  if (loaded.source === 'defaults' && config.http.addrIsDefault) {
    log.info({ addr: config.http.addr, storage: where }, `no configuration file: listening on ${config.http.addr}, storing under ${where}`);
  }
  log.info({ url: listener.url, storage: config.storage.driver, root: where, tls: tls !== undefined, config: loaded.source }, 'registry listening');
  return {
    url: listener.url,
    port: listener.port,
    services,
    log,
    close: async () => {
      stopPurge();
      services.mirror?.close();
      await Promise.all([listener.close(), debug?.close()]);
    },
  };
}
