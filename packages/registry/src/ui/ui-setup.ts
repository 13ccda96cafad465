// Builds the web UI for `serve` (imported only when ui.enabled, so a registry without it never loads Preact):
// the built assets, the session signing key from the store, the status page's sources.
import type { Logger } from '@private-registry/core';
import type { AccessGate } from '../auth/access-gate.js';
import type { RegistryConfig } from '../config/registry-config.js';
import type { UrlPolicy } from '../http/request-context.js';
import type { NotificationBus } from '../notifications/notification-bus.js';
import type { RegistryServices } from '../services/registry-services.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import type { StorageReadiness } from '../storage/storage-readiness.js';
import { AnnouncedRegistries } from './announced-registries.js';
import { loadUiAssets } from './ui-assets.js';
import { createUiHandler, type UiHandler } from './ui-handler.js';
import { loadSessionKey, readSessionKey, SessionSigner } from './ui-session.js';
import { SignedOutSessions } from './signed-out-sessions.js';

/** From when after its start a process reads the session key again, at its first UI request. */
const KEY_SETTLE_MS = 2_000;

export interface UiSetupOptions {
  config: RegistryConfig;
  driver: StorageDriver;
  log: Logger;
  access?: AccessGate;
  readiness: StorageReadiness;
  notifications?: NotificationBus;
  /** What the startup line says of the store: { storage, root | bucket, … }. */
  location: Record<string, string>;
  version: string;
  /** Whether this process should say what it found (under workers only the first one does). */
  announce: boolean;
}

export interface UiSetup {
  handler: (services: RegistryServices, urls: UrlPolicy & { prefix: string }) => UiHandler;
  close(): void;
}

export async function setupUi(options: UiSetupOptions): Promise<UiSetup> {
  const { config, log } = options;
  const [{ assets, missing }, key] = await Promise.all([loadUiAssets(), loadSessionKey(options.driver, { readOnly: config.storage.maintenance.readOnly.enabled, log })]);
  if (missing !== undefined && options.announce) log.warn({ reason: missing }, 'web UI assets are not built (npm run build): the UI works without its stylesheet and script');
  const discovery = config.ui.discovery === undefined ? undefined : new AnnouncedRegistries(config.ui.discovery);
  const { location } = options;
  const filesystemRoot = config.storage.filesystem?.rootDirectory;
  const startedAt = new Date();
  const signer = new SessionSigner(key, Date.now, () => readSessionKey(options.driver));
  // Workers or replicas started together may each have made a key: the first UI request a moment later reads
  // the one that stayed.
  signer.settleAfter(KEY_SETTLE_MS);
  const uiLog = log.child({ component: 'ui' });
  const signedOut = new SignedOutSessions(options.driver, { readOnly: config.storage.maintenance.readOnly.enabled, log: uiLog });
  return {
    handler: (services, urls) =>
      createUiHandler({
        services,
        log: uiLog,
        ...(options.access ? { access: options.access } : {}),
        prefix: urls.prefix,
        urls,
        sessionTtlMs: config.ui.sessionTtlMs,
        signer,
        signedOut,
        assets,
        version: options.version,
        status: {
          readiness: options.readiness,
          storage: { driver: location['storage'] ?? 'unknown', where: filesystemRoot ?? location['bucket'] ?? location['storage'] ?? '', ...(filesystemRoot ? { filesystemRoot } : {}) },
          gc: config.storage.gc,
          upstreams: config.proxy.upstreams,
          ...(options.notifications ? { notifications: options.notifications } : {}),
          ...(discovery ? { discovery } : {}),
          version: options.version,
          startedAt,
          workers: config.http.workers,
        },
      }),
    close: () => discovery?.close(),
  };
}
