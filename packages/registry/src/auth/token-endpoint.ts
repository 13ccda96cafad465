// The built-in token service: `GET /auth/token?service=&scope=` with Basic credentials (an htpasswd user, or
// a robot's name and token), and the OAuth2 form `POST /auth/token` (grant_type=password or refresh_token),
// answering a signed JWT whose `access` holds exactly what the policy grants of what was asked — never more.
// Asking for `push` also brings `overwrite` when granted (docker has no word for it); `*` brings everything.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@private-registry/core';
import { RegistryError } from '../oci/registry-errors.js';
import type { AccessGate } from './access-gate.js';
import { addressOf } from './access-gate.js';
import type { Rights } from './access-rights.js';
import type { TokenSigner } from './auth-services.js';
import { decodeBasic, checkedPair } from './basic-credentials.js';
import { tokenActions } from './bearer-rights.js';
import { challengeHeader } from './challenge.js';
import { ANONYMOUS, principalName, type Principal, type TokenAccess } from './principal.js';
import { parseScopes, ScopeError, type RequestedScope } from './token-scope.js';

export interface TokenEndpointOptions {
  gate: AccessGate;
  signer: TokenSigner;
  /** The service name tokens are for (their audience). */
  service: string;
  /** Realm of the Basic challenge a refused request gets. */
  realm: string;
  /** Whether anonymous callers may get a token (the policy grants them something). */
  anonymousAllowed: boolean;
  /** Whether a refresh token's subject still exists (an htpasswd user). */
  userExists: (name: string) => boolean;
  log: Logger;
}

/** Longest form body a POST may send. */
const MAX_FORM_BYTES = 16 * 1024;

export function createTokenEndpoint(options: TokenEndpointOptions): (req: IncomingMessage, res: ServerResponse, query: URLSearchParams) => Promise<void> {
  return async (req, res, query) => {
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw new RegistryError('UNSUPPORTED', 'the token endpoint answers GET and POST', { status: 405, headers: { Allow: 'GET, POST' } });
      }
      const params = req.method === 'POST' ? await readForm(req) : query;
      const answer = await tokenAnswer(options, req, params);
      const body = Buffer.from(JSON.stringify(answer));
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (err) {
      sendTokenError(res, err, options);
    }
  };
}

async function tokenAnswer(options: TokenEndpointOptions, req: IncomingMessage, params: URLSearchParams): Promise<Record<string, unknown>> {
  const service = params.get('service');
  if (service !== null && service !== options.service) {
    throw new RegistryError('DENIED', `this token service issues tokens for service ${JSON.stringify(options.service)}`, { status: 400 });
  }
  let scopes: RequestedScope[];
  try {
    scopes = parseScopes(params.getAll('scope'));
  } catch (err) {
    throw new RegistryError('DENIED', err instanceof ScopeError ? err.message : 'malformed scope', { status: 400 });
  }
  const grantType = req.method === 'POST' ? params.get('grant_type') : null;
  let principal: Principal;
  let refreshable = false;
  if (grantType === 'refresh_token') {
    principal = await fromRefreshToken(options, params.get('refresh_token'));
  } else if (grantType === 'password') {
    principal = await fromPassword(options, req, checkedPair(params.get('username') ?? '', params.get('password') ?? ''));
    refreshable = params.get('access_type') === 'offline';
  } else if (grantType !== null) {
    throw new RegistryError('UNSUPPORTED', `grant_type ${JSON.stringify(grantType.slice(0, 40))} is not supported (password, refresh_token)`, { status: 400 });
  } else {
    const header = req.headers.authorization;
    if (header === undefined) principal = ANONYMOUS;
    else if (/^basic /i.test(header)) principal = await fromPassword(options, req, decodeBasic(header.slice(6).trim()));
    else throw unauthorized(options, 'the token service takes Basic credentials');
    refreshable = params.get('offline_token') === 'true';
  }
  if (principal.kind === 'anonymous' && !options.anonymousAllowed) throw unauthorized(options, 'authentication required');
  const access = scopes.map((scope) => grant(options.gate, principal, scope));
  const subject = principal.kind === 'anonymous' ? '' : principalName(principal);
  const issued = await options.signer.issue({ subject, audience: options.service, access });
  options.log.info({ subject: subject || 'anonymous', address: addressOf(req), access: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`) }, 'token issued');
  const answer: Record<string, unknown> = { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt };
  // Refresh tokens (docker login's identity token) only for users the htpasswd file can vouch for again.
  if (refreshable && principal.kind === 'user' && principal.via === 'password') answer.refresh_token = await options.signer.issueRefresh(subject, options.service);
  return answer;
}

/** What of `scope` the caller gets: requested ∩ granted (push brings overwrite when granted). */
function grant(gate: AccessGate, principal: Principal, scope: RequestedScope): TokenAccess {
  if (scope.type === 'registry') {
    const allowed = scope.name === 'catalog' && principal.kind !== 'anonymous' && scope.actions.includes('*');
    return { type: 'registry', name: scope.name, actions: allowed ? ['*'] : [] };
  }
  const rights = gate.rights(principal, scope.name);
  return { type: 'repository', name: scope.name, actions: grantedActions(rights, scope.actions) };
}

export function grantedActions(rights: Rights, asked: readonly string[]): string[] {
  if (asked.includes('*')) return rights.admin ? ['*'] : tokenActions(rights);
  const granted = new Set<string>();
  for (const action of asked) {
    if ((action === 'pull' || action === 'push' || action === 'delete' || action === 'overwrite') && rights.actions.has(action)) granted.add(action);
    if (action === 'push' && rights.actions.has('push') && rights.actions.has('overwrite')) granted.add('overwrite');
  }
  return [...granted];
}

async function fromPassword(options: TokenEndpointOptions, req: IncomingMessage, credentials: ReturnType<typeof decodeBasic>): Promise<Principal> {
  if (credentials.kind !== 'basic') {
    options.log.warn({ address: addressOf(req), reason: credentials.kind === 'malformed' ? credentials.reason : 'no credentials' }, 'token request refused');
    throw unauthorized(options, 'invalid credentials');
  }
  const principal = await options.gate.checkPassword(addressOf(req), credentials.user, credentials.password);
  if (principal === undefined) throw unauthorized(options, 'invalid username or password');
  return principal;
}

async function fromRefreshToken(options: TokenEndpointOptions, token: string | null): Promise<Principal> {
  if (token === null || token === '') throw unauthorized(options, 'refresh_token is required');
  let subject: string;
  try {
    subject = (await options.signer.verifyRefresh(token, options.service)).subject;
  } catch {
    throw unauthorized(options, 'invalid or expired refresh token');
  }
  if (!options.userExists(subject)) throw unauthorized(options, 'the refresh token\'s user no longer exists');
  return { kind: 'user', name: subject, via: 'password' };
}

function unauthorized(options: TokenEndpointOptions, message: string): RegistryError {
  return new RegistryError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challengeHeader({ kind: 'basic', realm: options.realm }) } });
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_FORM_BYTES) throw new RegistryError('DENIED', 'request body too large', { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendTokenError(res: ServerResponse, err: unknown, options: TokenEndpointOptions): void {
  const error = err instanceof RegistryError ? err : new RegistryError('UNKNOWN', 'token service error');
  if (!(err instanceof RegistryError)) options.log.error({ err }, 'token service error');
  const body = Buffer.from(JSON.stringify({ ...error.toBody(), error: error.code.toLowerCase(), error_description: error.message }));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.status, { ...error.headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}
