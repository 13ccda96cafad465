// The server factory: builds the Express app (without listening) so tests can drive it in-process.
// Express carries what sits around the API (access log, health probes; auth, metrics and UI later); the /v2
// API itself is one dispatcher with its own route table, which keeps the hot path short.
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from './storage/storage-driver.js';
import { RegistryServices, type RegistryPolicy } from './services/registry-services.js';
import { createRegistryHandler } from './http/registry-handler.js';
import type { UrlPolicy } from './http/request-context.js';
import { accessLog } from './http/access-log.js';
import { createMirror, type MirrorOptions } from './mirror/create-mirror.js';
import { healthPathOf, serveHealth } from './http/health-routes.js';
import { StorageReadiness } from './storage/storage-readiness.js';

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
}

export interface RegistryApp {
  app: Express;
  services: RegistryServices;
  readiness: StorageReadiness;
}

export function createRegistryApp(options: RegistryAppOptions): RegistryApp {
  const services = new RegistryServices(options.driver, options.policy);
  if (options.mirror !== undefined) services.mirror = createMirror(options.mirror, services, options.log);
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const v2Root = `${prefix}/v2`;
  const v2 = createRegistryHandler({ services, log: options.log, urls: { ...options.urls, prefix } });
  const readiness = options.readiness ?? new StorageReadiness(options.driver, options.log);
  const healthPath = (req: Request) => healthPathOf(req.path, prefix);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.accessLog) app.use(accessLog(options.log, (req) => healthPath(req) !== undefined));
  const extraHeaders = Object.entries(options.headers ?? {});
  if (extraHeaders.length > 0) {
    app.use((_req: Request, res: Response, next: NextFunction) => {
      for (const [name, values] of extraHeaders) res.setHeader(name, values);
      next();
    });
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    const url = req.url;
    if (url.startsWith(v2Root)) {
      const rest = url.slice(v2Root.length);
      if (rest === '' || rest[0] === '/' || rest[0] === '?') {
        void v2(req, res, rest === '' || rest[0] === '?' ? `/${rest}` : rest);
        return;
      }
    }
    next();
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const which = healthPath(req);
    if (which === undefined || !serveHealth(which, req, res, { readiness, apiRoot: v2Root })) next();
  });
  return { app, services, readiness };
}
