// A registry API client that authenticates the way docker, podman and skopeo do: send the request; on a 401,
// read WWW-Authenticate; with Basic, resend with the user's credentials; with Bearer, ask the realm for a token
// covering the challenged scope (Basic credentials, or none) and resend with it. Tokens are kept per scope.
import { RegistryApiClient, type ApiResponse, type RequestOptions } from '../api/api-client.js';

export interface Login {
  user: string;
  password: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Reads `Bearer realm="...",service="...",scope="..."` (quoted values may hold commas). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (header === null) return undefined;
  const space = header.indexOf(' ');
  const scheme = header.slice(0, space).toLowerCase();
  if (scheme !== 'basic' && scheme !== 'bearer') return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/gi)) params[(m[1] as string).toLowerCase()] = (m[2] as string).replace(/\\(.)/g, '$1');
  return { scheme, params };
}

export function basicHeader(login: Login): string {
  return `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}`;
}

export class AuthClient extends RegistryApiClient {
  /** Token requests made, oldest first ("scope" as asked). */
  readonly tokenRequests: string[] = [];
  private readonly tokens = new Map<string, string>();

  constructor(baseUrl: string, readonly login: Login | undefined) {
    super(baseUrl);
  }

  override async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const first = await super.request(method, pathOrUrl, this.withAuth(options, this.cachedFor(pathOrUrl)));
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.header('www-authenticate'));
    if (challenge === undefined) return first;
    let authorization: string | undefined;
    if (challenge.scheme === 'basic') {
      if (this.login === undefined) return first;
      authorization = basicHeader(this.login);
    } else {
      const token = await this.fetchToken(challenge);
      if (token === undefined) return first;
      authorization = `Bearer ${token}`;
      this.tokens.set(this.keyOf(pathOrUrl), authorization);
    }
    // A streamed body cannot be sent twice: such callers authenticate first (GET /v2/).
    return super.request(method, pathOrUrl, this.withAuth(options, authorization));
  }

  /** GET the realm for `challenge`'s scope; undefined when the token service refuses. */
  async fetchToken(challenge: Challenge): Promise<string | undefined> {
    const url = new URL(challenge.params.realm as string);
    if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
    if (challenge.params.scope !== undefined) url.searchParams.set('scope', challenge.params.scope);
    this.tokenRequests.push(challenge.params.scope ?? '');
    const response = await fetch(url, { headers: this.login === undefined ? {} : { Authorization: basicHeader(this.login) } });
    if (response.status !== 200) return undefined;
    const body = (await response.json()) as { token?: string; access_token?: string };
    return body.token ?? body.access_token;
  }

  private withAuth(options: RequestOptions, authorization: string | undefined): RequestOptions {
    if (authorization === undefined) return options;
    return { ...options, headers: { ...(options.headers ?? {}), Authorization: authorization } };
  }

  /** A token is cached per repository path (what docker does per scope, near enough for tests). */
  private cachedFor(pathOrUrl: string): string | undefined {
    return this.tokens.get(this.keyOf(pathOrUrl));
  }

  private keyOf(pathOrUrl: string): string {
    const path = new URL(pathOrUrl, this.baseUrl).pathname;
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)\//.exec(path);
    return m ? `${m[1]}` : path;
  }
}
