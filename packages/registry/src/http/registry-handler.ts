// The /v2 dispatcher: match the path, validate the repository name, run the handler, map errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import { checkRepositoryName } from '../oci/repository-name.js';
import { RegistryError } from '../oci/registry-errors.js';
import type { RegistryServices } from '../services/registry-services.js';
import { matchRoute } from './route-match.js';
import { ROUTES, allowedMethods, type Method } from './route-table.js';
import { sendError } from './error-response.js';
import { hasBody, recordOf, type RequestContext, type UrlPolicy } from './request-context.js';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import { REGISTRY_VERSION, VERSION_HEADER } from './registry-version.js';
import type { AccessGate } from '../auth/access-gate.js';
import { ANONYMOUS, principalName } from '../auth/principal.js';
import { setRequestUser } from './request-user.js';
import { routeAccess } from './route-access.js';

export interface RegistryHandlerOptions {
  services: RegistryServices;
  log: Logger;
  urls: UrlPolicy;
  /** Authentication and the access policy; undefined: an open registry. */
  access?: AccessGate;
  /** Counts the uploads in progress (the request itself is counted by the app's observer). */
  metrics?: HttpMetrics;
}

/** Requests that stream a blob body into storage: a monolithic POST, a PATCH, a closing PUT with its last bytes. */
function isUploadBody(endpoint: string, method: string | undefined, req: IncomingMessage): boolean {
  return ((endpoint === 'uploadStart' && method === 'POST') || (endpoint === 'upload' && (method === 'PATCH' || method === 'PUT'))) && hasBody(req);
}

const NO_QUERY = new URLSearchParams();

export type V2Handler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;

/** Returns a handler for paths relative to /v2 ("/" for the base endpoint). */
export function createRegistryHandler(options: RegistryHandlerOptions): V2Handler {
  return async (req, res, rawPath) => {
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    // On every /v2 answer, like the API version: a probe learns it whatever the status (401 included).
    res.setHeader(VERSION_HEADER, REGISTRY_VERSION);
    const q = rawPath.indexOf('?');
    const path = q === -1 ? rawPath : rawPath.slice(0, q);
    const match = matchRoute(path);
    const record = recordOf(req);
    if (match && record !== undefined) record.route = match.endpoint;
    try {
      const query = q === -1 ? NO_QUERY : new URLSearchParams(rawPath.slice(q + 1));
      if (!match) {
        throw new RegistryError('NAME_UNKNOWN', 'no such endpoint or repository', { status: 404, detail: { path: path.slice(0, 200) } });
      }
      const handler = ROUTES[match.endpoint][req.method as Method];
      if (!handler) {
        throw new RegistryError('UNSUPPORTED', `method ${String(req.method).slice(0, 20)} not allowed on this endpoint`, { status: 405 });
      }
      const { access, metrics } = options;
      const principal = access === undefined ? ANONYMOUS : await access.principalOf(req);
      if (access !== undefined) setRequestUser(req, principalName(principal));
      const ctx: RequestContext = {
        req,
        res,
        services: options.services,
        log: options.log,
        name: match.name === undefined ? '' : checkRepositoryName(match.name),
        reference: match.reference ?? '',
        query,
        urls: options.urls,
        principal,
        access,
      };
      if (record !== undefined) record.repository = ctx.name;
      if (access !== undefined) {
        const needs = routeAccess(match.endpoint, req.method as Method);
        if (needs.kind === 'repository') {
          const refusing = access.require(req, principal, ctx.name, needs.actions, needs.scope);
          if (refusing !== undefined) await refusing;
        }
        else if (needs.kind === 'authenticated' && access.isAnonymous(principal)) throw access.unauthorized(req);
        else if (needs.kind === 'catalog') access.requireCatalog(req, principal);
      }
      if (metrics !== undefined && record !== undefined && isUploadBody(match.endpoint, req.method, req)) {
        record.uploading = true;
        metrics.uploadStarted();
      }
      await handler(ctx);
    } catch (err) {
      // Every 405 names what the endpoint does serve (an unknown method, or one the policy turns off).
      if (err instanceof RegistryError && err.status === 405 && match && err.headers['Allow'] === undefined) {
        err.headers['Allow'] = allowedMethods(match.endpoint, options.services.policy);
      }
      sendError(req, res, err, options.log);
    }
  };
}
