// The server factory: builds the Express app (without listening) so tests can drive it in-process.
// Express carries what sits around the API (access log now; auth, metrics and UI later); the /v2
// API itself is one dispatcher with its own route table, which keeps the hot path short.
import express, { type Express, type Request, type Response, type NextFunction } from 'express';
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from './storage/storage-driver.js';
import { RegistryServices, type RegistryPolicy } from './services/registry-services.js';
import { createRegistryHandler } from './http/registry-handler.js';
import type { UrlPolicy } from './http/request-context.js';
import { accessLog } from './http/access-log.js';

export interface RegistryAppOptions {
  driver: StorageDriver;
  policy: RegistryPolicy;
  urls: UrlPolicy;
  log: Logger;
  accessLog: boolean;
}

export interface RegistryApp {
  app: Express;
  services: RegistryServices;
}

export function createRegistryApp(options: RegistryAppOptions): RegistryApp {
  const services = new RegistryServices(options.driver, options.policy);
  const v2 = createRegistryHandler({ services, log: options.log, urls: options.urls });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (options.accessLog) app.use(accessLog(options.log));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const url = req.url;
    if (url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?')) {
      void v2(req, res, url === '/v2' ? '/' : url.slice(3));
      return;
    }
    next();
  });
  return { app, services };
}
