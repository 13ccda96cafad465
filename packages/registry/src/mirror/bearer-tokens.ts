// Bearer tokens from an upstream's token service (the Docker registry token flow), cached per scope until
// shortly before they expire, and fetched once however many requests wait for the same scope.

import type { Challenge } from './www-authenticate.js';
import { UpstreamError } from './upstream-error.js';
import { exchange, readSmallBody, type HttpExchange } from './upstream-http.js';

export interface TokenCredentials {
  username: string;
  password: string;
}

interface CachedToken {
  token: string;
  /** When it is fetched again: RENEW_MARGIN_MS before it expires, or half way for a short-lived token. */
  renewAt: number;
}

/** The token service's answer: `token` (or OAuth's `access_token`), `expires_in` seconds (60 when absent, per the spec). */
interface TokenResponse {
  token?: string;
  access_token?: string;
  expires_in?: number;
}

const DEFAULT_EXPIRES_IN_S = 60;
/** A token answer is a few KiB; anything far larger is not one. */
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** A token is renewed this long before it expires, so a request never goes out with one about to lapse. */
const RENEW_MARGIN_MS = 10_000;

export class BearerTokens {
  private readonly cache = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly upstreamName: string,
    private readonly credentials: TokenCredentials | undefined,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A token for the challenge's realm, service and scope (from the cache when it is still good). */
  async token(challenge: Challenge, scope: string): Promise<string> {
    const realm = challenge.params['realm'];
    if (realm === undefined) throw new UpstreamError('UPSTREAM_AUTH', `${this.upstreamName} asked for a bearer token without a realm`);
    const service = challenge.params['service'];
    const key = `${realm}\n${service ?? ''}\n${scope}`;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.renewAt > this.now()) return cached.token;
    let pending = this.pending.get(key);
    if (pending === undefined) {
      pending = this.fetchToken(realm, service, scope, key).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    return pending;
  }

  /** Forgets a token the upstream refused (revoked, or the scope changed meaning). */
  invalidate(challenge: Challenge, scope: string): void {
    this.cache.delete(`${challenge.params['realm'] ?? ''}\n${challenge.params['service'] ?? ''}\n${scope}`);
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string, key: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new UpstreamError('UPSTREAM_AUTH', `${this.upstreamName} named a token realm that is not a URL`);
    }
    if (service !== undefined) url.searchParams.set('service', service);
    if (scope !== '') url.searchParams.set('scope', scope);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.credentials !== undefined) {
      headers['Authorization'] = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    }
    let response: HttpExchange;
    try {
      response = await exchange(url, 'GET', headers, this.timeoutMs);
    } catch (err) {
      throw new UpstreamError('UPSTREAM_UNREACHABLE', `token service of ${this.upstreamName} (${url.host}) unreachable: ${(err as Error).message}`);
    }
    if (response.status < 200 || response.status > 299) {
      response.body.resume();
      const code = response.status === 401 || response.status === 403 ? 'UPSTREAM_AUTH' : 'UPSTREAM_FAILED';
      throw new UpstreamError(code, `token service of ${this.upstreamName} answered ${response.status}`, { status: response.status });
    }
    const text = (await readSmallBody(response.body, `token service of ${this.upstreamName}`, 'a token', MAX_TOKEN_RESPONSE_BYTES)).toString('utf8');
    const body = (parseJson(text) ?? {}) as TokenResponse;
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') throw new UpstreamError('UPSTREAM_AUTH', `token service of ${this.upstreamName} returned no token`);
    const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_EXPIRES_IN_S;
    // A fixed margin alone would never cache a token that lives 10 s or less: one token request per request.
    const lifetimeMs = expiresIn * 1000;
    this.cache.set(key, { token, renewAt: this.now() + lifetimeMs - Math.min(RENEW_MARGIN_MS, lifetimeMs / 2) });
    return token;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
