// What each endpoint needs from the caller once auth is configured. Docker asks a token for "pull,push" to
// push (it reads as well as writes), and for "delete" to delete; the challenge names the same.
import type { Action } from '../auth/access-rights.js';
import type { Endpoint } from './route-match.js';
import type { Method } from './route-table.js';

export type RouteAccess =
  /** /v2/ itself: any verified caller (docker login's check), never anonymous. */
  | { kind: 'authenticated' }
  /** _catalog: filtered by what the caller may pull. */
  | { kind: 'catalog' }
  | { kind: 'repository'; actions: readonly Action[]; scope: readonly string[] };

const PULL: RouteAccess = { kind: 'repository', actions: ['pull'], scope: ['pull'] };
const PUSH: RouteAccess = { kind: 'repository', actions: ['push'], scope: ['pull', 'push'] };
const DELETE: RouteAccess = { kind: 'repository', actions: ['delete'], scope: ['delete'] };

export function routeAccess(endpoint: Endpoint, method: Method): RouteAccess {
  switch (endpoint) {
    case 'base':
      return { kind: 'authenticated' };
    case 'catalog':
      return { kind: 'catalog' };
    case 'tags':
    case 'referrers':
      return PULL;
    case 'manifest':
    case 'blob':
      if (method === 'DELETE') return DELETE;
      return method === 'PUT' ? PUSH : PULL;
    case 'uploadStart':
    case 'upload':
      return PUSH;
  }
}
