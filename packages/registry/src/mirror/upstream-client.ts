// Requests to one upstream registry: anonymous, basic, or the bearer-token flow, learned from the upstream's
// first 401 and remembered; a refused token is fetched again once. Answers are classified into UpstreamError
// codes so the pull-through layer can tell "not there" from "not reachable". Credentials never reach an error.

import type { Readable } from 'node:stream';
import type { Logger } from '@private-registry/core';
import type { UpstreamConfig } from '../config/registry-config.js';
import { BearerTokens } from './bearer-tokens.js';
import { UpstreamError } from './upstream-error.js';
import { exchange, type HttpExchange } from './upstream-http.js';
import { parseChallenge, type Challenge } from './www-authenticate.js';

export interface UpstreamRequest {
  method: 'GET' | 'HEAD';
  /** The repository name upstream (the local name with the upstream's prefix taken off). */
  remoteName: string;
  /** After `/v2/<remoteName>/`: `manifests/latest`, `blobs/sha256:...`. */
  path: string;
  headers?: Record<string, string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** The body as a Node stream (GET with a body), else null. The caller must consume or destroy it. */
  body: Readable | null;
}

type AuthMode = { kind: 'unknown' } | { kind: 'anonymous' } | { kind: 'basic' } | { kind: 'bearer'; challenge: Challenge };

export interface UpstreamClientOptions {
  /** Until the response headers arrive. */
  timeoutMs: number;
  log: Logger;
}

export class UpstreamClient {
  private auth: AuthMode = { kind: 'unknown' };
  private readonly tokens: BearerTokens;
  private readonly basic: string | undefined;

  constructor(
    readonly config: UpstreamConfig,
    private readonly options: UpstreamClientOptions,
  ) {
    const credentials = config.username !== undefined && config.password !== undefined ? { username: config.username, password: config.password } : undefined;
    this.basic = credentials === undefined ? undefined : `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    this.tokens = new BearerTokens(config.name, credentials, options.timeoutMs);
  }

  get name(): string {
    return this.config.name;
  }

  /** Sends the request, authenticating as the upstream asks. 2xx and 3xx resolve; the rest throw UpstreamError. */
  async request(request: UpstreamRequest): Promise<UpstreamResponse> {
    const scope = `repository:${request.remoteName}:pull`;
    const sentBearer = this.auth.kind === 'bearer' ? this.auth.challenge : undefined;
    let response = await this.send(request, await this.authorization(scope));
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get('www-authenticate'));
      await discard(response);
      // The token just sent was refused (revoked, signing key rotated): answer with a fresh one, not it again.
      if (sentBearer !== undefined) this.tokens.invalidate(sentBearer, scope);
      const retryWith = await this.answerChallenge(challenge, scope);
      if (retryWith !== undefined) response = await this.send(request, retryWith);
      if (response.status === 401 && challenge?.scheme === 'bearer' && sentBearer === undefined) {
        // A cached token the upstream no longer takes: one fresh token, once.
        await discard(response);
        this.tokens.invalidate(challenge, scope);
        response = await this.send(request, `Bearer ${await this.tokens.token(challenge, scope)}`);
      }
    }
    return this.classify(request, response);
  }

  private async authorization(scope: string): Promise<string | undefined> {
    switch (this.auth.kind) {
      case 'basic':
        return this.basic;
      case 'bearer':
        return `Bearer ${await this.tokens.token(this.auth.challenge, scope)}`;
      default:
        return undefined;
    }
  }

  private async answerChallenge(challenge: Challenge | undefined, scope: string): Promise<string | undefined> {
    if (challenge?.scheme === 'bearer') {
      this.auth = { kind: 'bearer', challenge };
      return `Bearer ${await this.tokens.token(challenge, scope)}`;
    }
    if (challenge?.scheme === 'basic' && this.basic !== undefined) {
      this.auth = { kind: 'basic' };
      return this.basic;
    }
    return undefined;
  }

  private async send(request: UpstreamRequest, authorization: string | undefined): Promise<HttpExchange> {
    const url = new URL(`${this.config.url}/v2/${request.remoteName}/${request.path}`);
    const headers: Record<string, string> = { ...request.headers };
    if (authorization !== undefined) headers['Authorization'] = authorization;
    try {
      // The timeout covers the wait for headers only: a large body may take as long as it needs.
      return await exchange(url, request.method, headers, this.options.timeoutMs);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new UpstreamError('UPSTREAM_UNREACHABLE', `${this.config.name} unreachable (${request.method} ${request.path}): ${reason}`, { cause: err });
    }
  }

  private async classify(request: UpstreamRequest, response: HttpExchange): Promise<UpstreamResponse> {
    const { status } = response;
    if (status >= 200 && status < 400) {
      const body = request.method === 'GET' ? response.body : null;
      if (body === null) await discard(response);
      return { status, headers: response.headers, body };
    }
    await discard(response);
    const what = `${this.config.name} answered ${status} to ${request.method} ${request.remoteName}/${request.path}`;
    if (status === 404) throw new UpstreamError('UPSTREAM_NOT_FOUND', what, { status });
    if (status === 401 || status === 403) throw new UpstreamError('UPSTREAM_AUTH', what, { status });
    if (status === 429) throw new UpstreamError('UPSTREAM_THROTTLED', what, { status });
    throw new UpstreamError('UPSTREAM_FAILED', what, { status });
  }
}

async function discard(response: HttpExchange): Promise<void> {
  response.body.resume();
}
