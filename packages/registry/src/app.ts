// The server factory: builds the request listener (without listening) so tests can drive it in-process.
// Around the /v2 dispatcher (its own route table keeps the hot path short) sit the access log, the
// extra headers and the health probes. Plain node:http rather than Express: Express and what it loads
// (qs alone is ~7 MB) cost about 16 MB of resident memory, a quarter of an idle registry.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from './storage/storage-driver.js';
import { RegistryServices, type RegistryPolicy } from './services/registry-services.js';
import { createRegistryHandler } from './http/registry-handler.js';
import type { UrlPolicy } from './http/request-context.js';
import { requestObserver } from './http/access-log.js';
import type { HttpMetrics } from './metrics/http-metrics.js';
import { createMirror, type MirrorOptions } from './mirror/create-mirror.js';
import { healthPathOf, serveHealth } from './http/health-routes.js';
import { StorageReadiness } from './storage/storage-readiness.js';
import { answerUnrouted } from './http/unserved-requests.js';
import type { AccessGate } from './auth/access-gate.js';
import type { NotificationBus } from './notifications/notification-bus.js';
import type { UiHandler } from './ui/ui-handler.js';

/** The built-in token service's handler (GET/POST <prefix>/auth/token). */
export type TokenEndpoint = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => Promise<void>;

/** Where the built-in token service answers, below http.prefix. */
export const TOKEN_PATH = '/auth/token';

export interface RegistryAppOptions {
  driver: StorageDriver;
  policy: RegistryPolicy;
  urls: UrlPolicy;
  log: Logger;
  accessLog: boolean;
  /** http.prefix: a path before /v2 ("/registry/" serves /registry/v2/); "" or "/" for none. */
  prefix?: string;
  /** http.headers: extra headers on every response. */
  headers?: Record<string, string[]>;
  /** proxy: mirror mode when it names an upstream. */
  mirror?: MirrorOptions;
  /** What /readyz asks; one over `driver` when not given. */
  readiness?: StorageReadiness;
  /** Authentication and the access policy; undefined: an open registry. */
  access?: AccessGate;
  /** The built-in token service, when configured. */
  tokenEndpoint?: TokenEndpoint;
  /** Webhook notifications, when an endpoint is configured. */
  notifications?: NotificationBus;
  /** Request metrics, when the debug listener serves them. */
  metrics?: HttpMetrics;
  /** The web UI (ui.enabled): made once the services exist, served below <prefix>/ui/. */
  ui?: (services: RegistryServices, urls: UrlPolicy & { prefix: string }) => UiHandler;
}

export interface RegistryApp {
  app: RequestListener;
  services: RegistryServices;
  readiness: StorageReadiness;
}

export function createRegistryApp(options: RegistryAppOptions): RegistryApp {
  const services = new RegistryServices(options.driver, options.policy);
  if (options.mirror !== undefined) services.mirror = createMirror(options.mirror, services, options.log);
  services.notifications = options.notifications;
  const readiness = options.readiness ?? new StorageReadiness(options.driver, options.log);
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const v2Root = `${prefix}/v2`;
  const { metrics } = options;
  const urls = { ...options.urls, prefix };
  const v2 = createRegistryHandler({ services, log: options.log, urls, ...(options.access ? { access: options.access } : {}), ...(metrics ? { metrics } : {}) });
  const uiRoot = `${prefix}/ui`;
  const ui = options.ui?.(services, urls);
  const tokenPath = `${prefix}${TOKEN_PATH}`;
  const { tokenEndpoint } = options;
  const observe = requestObserver({ ...(options.accessLog ? { log: options.log } : {}), ...(metrics ? { metrics } : {}) });
  const extraHeaders = Object.entries(options.headers ?? {});
  const app = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '/';
    const health = healthPathOf(url.split('?', 1)[0] as string, prefix);
    for (const [name, values] of extraHeaders) res.setHeader(name, values);
    // After http.headers: the request id header is ours. The /v2 dispatcher names the route it matches.
    const record = observe(req, res, health ?? 'unrouted', health !== undefined);
    if (url.startsWith(v2Root)) {
      const rest = url.slice(v2Root.length);
      if (rest === '' || rest[0] === '/' || rest[0] === '?') {
        void v2(req, res, rest === '' || rest[0] === '?' ? `/${rest}` : rest);
        return;
      }
    }
    if (tokenEndpoint !== undefined && (url === tokenPath || url.startsWith(`${tokenPath}?`))) {
      record.route = 'token';
      void tokenEndpoint(req, res, new URLSearchParams(url.slice(tokenPath.length + 1)));
      return;
    }
    if (ui !== undefined && url.startsWith(uiRoot)) {
      const rest = url.slice(uiRoot.length);
      if (rest === '' || rest[0] === '?') {
        record.route = 'ui';
        res.statusCode = 301;
        res.setHeader('Location', `${uiRoot}/${rest}`);
        res.end();
        return;
      }
      if (rest[0] === '/') {
        void ui(req, res, rest);
        return;
      }
    }
    if (health !== undefined && serveHealth(health, req, res, { readiness, apiRoot: v2Root, ...(ui ? { uiRoot: `${uiRoot}/` } : {}) })) return;
    answerUnrouted(req, res, health !== undefined, options.log);
  };
  return { app, services, readiness };
}
