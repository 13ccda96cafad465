// Long-lived access tokens for robots (CI runners, deploy jobs), kept in the store: one JSON file per token
// name with the SHA-256 of its secret, never the secret. The secret is `prt_` and 43 base64url characters
// (256 random bits): a plain SHA-256 is enough for a secret that cannot be guessed (bcrypt is for passwords
// people choose), and it keeps a 20-layer pull at one hash. Reads are cached for a few seconds, so a
// revocation by `private-registry token revoke` (another process, or another replica) applies within that.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CodedError } from '@private-registry/core';
import { isPathNotFound } from '../storage/storage-errors.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { pathFor } from '../storage/path-spec.js';
import type { RobotTokenStore } from './auth-services.js';
import type { ScopeGrant } from './principal.js';
import { formatScope, parseScope } from './token-scope-grant.js';

export const ROBOT_SECRET_PREFIX = 'prt_';
/** How long a read token file is trusted: the longest a revocation takes to apply. */
export const ACCESS_TOKEN_CACHE_MS = 5_000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export class AccessTokenError extends CodedError {}

export interface AccessTokenInfo {
  name: string;
  scopes: string[];
  description: string | undefined;
  createdAt: string;
  /** Undefined: never expires. */
  expiresAt: string | undefined;
}

interface StoredToken extends AccessTokenInfo {
  /** hex SHA-256 of the secret. */
  sha256: string;
}

export function isAccessTokenName(name: string): boolean {
  return NAME.test(name);
}

export class AccessTokens implements RobotTokenStore {
  /** Scopes are parsed once per read, not on every request. */
  private readonly cache = new Map<string, { token: StoredToken | undefined; grants: ScopeGrant[]; readAt: number }>();

  constructor(
    private readonly driver: StorageDriver,
    private readonly now: () => number = Date.now,
  ) {}

  async create(options: { name: string; scopes: readonly ScopeGrant[]; expiresAt?: Date; description?: string }): Promise<{ secret: string; token: AccessTokenInfo }> {
    if (!isAccessTokenName(options.name)) {
      throw new AccessTokenError('TOKEN_NAME_INVALID', `token name ${JSON.stringify(options.name.slice(0, 80))}: use lower-case letters, digits, ".", "_" and "-" (at most 64, starting with a letter or digit)`);
    }
    if (options.scopes.length === 0) throw new AccessTokenError('SCOPE_INVALID', 'a token needs at least one scope');
    if ((await this.read(options.name)) !== undefined) throw new AccessTokenError('TOKEN_EXISTS', `a token named ${JSON.stringify(options.name)} exists; revoke it first or choose another name`);
    const secret = `${ROBOT_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const token: StoredToken = {
      name: options.name,
      scopes: options.scopes.map(formatScope),
      description: options.description,
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: options.expiresAt?.toISOString(),
      sha256: sha256(secret),
    };
    await this.driver.putContent(pathFor({ kind: 'accessToken', name: token.name }), Buffer.from(`${JSON.stringify(token, null, 2)}\n`));
    this.cache.delete(token.name);
    return { secret, token: infoOf(token) };
  }

  async list(): Promise<AccessTokenInfo[]> {
    let paths: string[];
    try {
      paths = await this.driver.list(pathFor({ kind: 'accessTokensRoot' }));
    } catch (err) {
      if (isPathNotFound(err)) return [];
      throw err;
    }
    const names = paths.map((path) => path.slice(path.lastIndexOf('/') + 1)).filter((file) => file.endsWith('.json')).map((file) => file.slice(0, -5));
    const tokens = await Promise.all(names.filter(isAccessTokenName).map((name) => this.read(name)));
    return tokens.filter((t): t is StoredToken => t !== undefined).map(infoOf);
  }

  /** True when a token of that name existed (readable or not: a corrupt file is what revoke is for). */
  async revoke(name: string): Promise<boolean> {
    if (!isAccessTokenName(name)) return false;
    try {
      if ((await this.read(name)) === undefined) return false;
    } catch (err) {
      if (!(err instanceof AccessTokenError && err.code === 'TOKEN_CORRUPT')) throw err;
    }
    await this.driver.delete(pathFor({ kind: 'accessToken', name }));
    this.cache.delete(name);
    return true;
  }

  async verify(name: string, secret: string): Promise<{ name: string; grants: ScopeGrant[] } | undefined> {
    if (!isAccessTokenName(name) || !secret.startsWith(ROBOT_SECRET_PREFIX)) return undefined;
    const { token, grants } = await this.cached(name);
    if (token === undefined || this.expired(token)) return undefined;
    const expected = Buffer.from(token.sha256, 'hex');
    const actual = createHash('sha256').update(secret).digest();
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
    return { name: token.name, grants };
  }

  async grantsOf(name: string): Promise<ScopeGrant[] | undefined> {
    if (!isAccessTokenName(name)) return undefined;
    const { token, grants } = await this.cached(name);
    return token === undefined || this.expired(token) ? undefined : grants;
  }

  private expired(token: StoredToken): boolean {
    return token.expiresAt !== undefined && Date.parse(token.expiresAt) <= this.now();
  }

  private async cached(name: string): Promise<{ token: StoredToken | undefined; grants: ScopeGrant[] }> {
    const hit = this.cache.get(name);
    if (hit !== undefined && this.now() - hit.readAt < ACCESS_TOKEN_CACHE_MS) return hit;
    const token = await this.read(name);
    const entry = { token, grants: token?.scopes.map(parseScope) ?? [], readAt: this.now() };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(name, entry);
    return entry;
  }

  private async read(name: string): Promise<StoredToken | undefined> {
    let content: Buffer;
    try {
      content = await this.driver.getContent(pathFor({ kind: 'accessToken', name }));
    } catch (err) {
      if (isPathNotFound(err)) return undefined;
      throw err;
    }
    const corrupt = (cause?: unknown): AccessTokenError =>
      new AccessTokenError('TOKEN_CORRUPT', `the stored access token ${JSON.stringify(name)} is not readable; revoke it and create it again`, { cause });
    let parsed: Partial<StoredToken> | null;
    try {
      parsed = JSON.parse(content.toString('utf8')) as Partial<StoredToken> | null;
    } catch (err) {
      throw corrupt(err);
    }
    if (parsed === null || typeof parsed !== 'object' || typeof parsed.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.sha256)) throw corrupt();
    if (typeof parsed.name !== 'string' || !Array.isArray(parsed.scopes) || !parsed.scopes.every((scope) => typeof scope === 'string')) throw corrupt();
    try {
      parsed.scopes.forEach(parseScope);
    } catch (err) {
      throw corrupt(err);
    }
    return parsed as StoredToken;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function infoOf(token: StoredToken): AccessTokenInfo {
  return { name: token.name, scopes: token.scopes, description: token.description, createdAt: token.createdAt, expiresAt: token.expiresAt };
}
