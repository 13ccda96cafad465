// A Docker registry token service (the bearer flow's "realm") for tests: checks basic credentials, issues
// ES256 JWTs the reference registry's `auth.token` verifies (the signing certificate in the header's `x5c`,
// the same self-signed certificate as its rootcertbundle), and counts what it was asked, scope by scope.

import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { runChecked } from './command.js';
import type { JsonObject } from './deep-merge.js';
import type { Credentials } from './htpasswd.js';
import { tempDir, type TempDir } from './temp-dir.js';

export interface TokenServerOptions {
  /** The one user that gets tokens; without it anyone (and anonymous) does. */
  credentials?: Credentials;
  /** The `service` (the JWT's audience); "testbed-registry" unless told. */
  service?: string;
  /** The JWT's `iss`; "testbed-token-server" unless told. */
  issuer?: string;
  /** `expires_in` in the answer and the JWT's lifetime; 300 unless told; undefined leaves it out (clients assume 60). */
  expiresInS?: number | undefined;
  /** The field the token is sent in: `token` (Docker's), `access_token` (OAuth's), or both. */
  tokenField?: 'token' | 'access_token' | 'both';
}

export interface TokenRequest {
  /** `scope` parameters as sent ('' when there was none). */
  scopes: string[];
  service: string | undefined;
  /** The basic user name, undefined when anonymous. */
  user: string | undefined;
  /** 200, or 401 when the credentials were refused. */
  status: number;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`: the realm a registry names in its challenge. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the current signing certificate: what distribution's `auth.token.rootcertbundle` file holds. */
  readonly rootCertBundle: string;
  /** Every request so far, oldest first. */
  readonly requests: readonly TokenRequest[];
  /** Changes `expires_in` (and the JWT lifetime) for tokens issued from now on. */
  expiresInS: number | undefined;
  /**
   * A new signing key and certificate, written over the rootcertbundle file: a registry restarted on the same
   * config trusts only tokens issued from now on (a key rotation, or a token service replaced).
   */
  rotateKey(): Promise<void>;
  /** How many token requests named `scope` (answered or refused). */
  requestsFor(scope: string): number;
  /** The `auth:` section for distribution's config (`extraConfig: { auth: server.registryAuthConfig() }`). */
  registryAuthConfig(): JsonObject;
  stop(): Promise<void>;
}

interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const work = await tempDir('token-server');
  try {
    const signing = await createSigningMaterial(work.path);
    return await listen(options, work, signing);
  } catch (err) {
    await work.remove();
    throw err;
  }
}

interface SigningMaterial {
  key: KeyObject;
  /** base64 (not url-safe) DER, as `x5c` wants it. */
  certDer: string;
  certPath: string;
  certPem: string;
}

/** A fresh P-256 key and self-signed certificate, written to (or over) `dir`'s signing-*.pem. */
async function createSigningMaterial(dir: string): Promise<SigningMaterial> {
  const keyPath = join(dir, 'signing-key.pem');
  const certPath = join(dir, 'signing-cert.pem');
  await runChecked('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=testbed-token-server',
  ]);
  const key = createPrivateKey(await readFile(keyPath));
  const certPem = await readFile(certPath, 'utf8');
  return { key, certDer: new X509Certificate(certPem).raw.toString('base64'), certPath, certPem };
}

async function listen(options: TokenServerOptions, work: TempDir, initial: SigningMaterial): Promise<TokenServer> {
  const service = options.service ?? 'testbed-registry';
  const issuer = options.issuer ?? 'testbed-token-server';
  const tokenField = options.tokenField ?? 'token';
  const requests: TokenRequest[] = [];
  let signing = initial;
  const state = { expiresInS: 'expiresInS' in options ? options.expiresInS : 300 };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://token-server');
    if (req.method !== 'GET' || url.pathname !== '/token') return reply(res, 404, { errors: [{ code: 'NOT_FOUND' }] });
    const scopes = url.searchParams.getAll('scope');
    const user = basicUser(req.headers.authorization);
    const allowed = options.credentials === undefined || (user?.user === options.credentials.user && user.password === options.credentials.password);
    requests.push({ scopes: scopes.length === 0 ? [''] : scopes, service: url.searchParams.get('service') ?? undefined, user: user?.user, status: allowed ? 200 : 401 });
    if (!allowed) {
      res.setHeader('WWW-Authenticate', 'Basic realm="testbed-token-server"');
      return reply(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
    }
    const now = Math.floor(Date.now() / 1000);
    const lifetime = state.expiresInS ?? 60;
    const claims = {
      iss: issuer,
      sub: user?.user ?? '',
      aud: url.searchParams.get('service') ?? service,
      exp: now + lifetime,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access: scopes.flatMap(parseScope),
    };
    const token = signJwt({ typ: 'JWT', alg: 'ES256', x5c: [signing.certDer] }, claims, signing.key);
    const body: Record<string, unknown> = { issued_at: new Date(now * 1000).toISOString() };
    if (tokenField !== 'access_token') body['token'] = token;
    if (tokenField !== 'token') body['access_token'] = token;
    if (state.expiresInS !== undefined) body['expires_in'] = state.expiresInS;
    reply(res, 200, body);
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unregister();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await work.remove();
  };
  const unregister = registerCleanup({ name: `token server on port ${port}`, stop, stopSync: () => server.close() });

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    get rootCertBundle() {
      return signing.certPem;
    },
    requests,
    get expiresInS() {
      return state.expiresInS;
    },
    set expiresInS(value: number | undefined) {
      state.expiresInS = value;
    },
    rotateKey: async () => {
      signing = await createSigningMaterial(work.path);
    },
    requestsFor: (scope) => requests.filter((r) => r.scopes.includes(scope)).length,
    registryAuthConfig: () => ({ token: { realm: `http://127.0.0.1:${port}/token`, service, issuer, rootcertbundle: signing.certPath } }),
    stop,
  };
}

/** `repository:team/app:pull,push` → one access entry; the name may itself hold colons (a host:port). */
function parseScope(scope: string): ResourceAccess[] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return [];
  return [{ type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter((a) => a !== '') }];
}

function basicUser(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** JWS compact serialization; ES256 signatures are r||s (IEEE P1363), not DER. */
function signJwt(header: JsonObject, claims: JsonObject, key: KeyObject): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${base64url(signature)}`;
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
