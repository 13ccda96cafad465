// Reads `auth` into AuthConfig: distribution's htpasswd and token sections, our built-in token service
// (token.builtin), groups, the access policy and the failed-login rate limit. Files named here are read
// at startup by the auth layer, which names the file and line when one is wrong.
import { readRepositoryGlobs } from './repository-globs.js';
import { isActionWord } from '../auth/access-rights.js';
import type { ConfigSection } from './config-section.js';
import { keysMatching } from './config-tree.js';
import type { AccessRule, AuthConfig, BuiltinTokenServiceConfig, RateLimitConfig, TokenAuthConfig } from './registry-config.js';

export const DEFAULT_AUTH_REALM = 'private-registry';
export const DEFAULT_TOKEN_ISSUER = 'private-registry';
export const DEFAULT_TOKEN_SERVICE = 'private-registry';
/** bcrypt cost of passwords `private-registry user add` writes (htpasswd -B uses 5; 10 is bcrypt's usual). */
export const DEFAULT_BCRYPT_COST = 10;
const DEFAULT_TOKEN_EXPIRATION_MS = 5 * 60_000;
const DEFAULT_REFRESH_EXPIRATION_MS = 30 * 24 * 3_600_000;
const DEFAULT_KEY_ROTATION_MS = 30 * 24 * 3_600_000;
const DEFAULT_RATE_LIMIT: RateLimitConfig = { addressBurst: 10, userBurst: 20, refillMs: 6_000 };

export function readAuth(root: ConfigSection): AuthConfig | undefined {
  const auth = root.section('auth');
  if (!auth.present) return undefined;
  for (const scheme of ['silly', 'none']) {
    if (isWritten(auth, scheme)) auth.fail(scheme, `the "${scheme}" scheme is not supported: use htpasswd or token`);
  }
  const htpasswd = isWritten(auth, 'htpasswd') ? readHtpasswd(auth.section('htpasswd')) : undefined;
  const token = isWritten(auth, 'token') ? readToken(auth.section('token')) : undefined;
  if (htpasswd === undefined && token === undefined) auth.fail('', 'configure htpasswd, token, or both');
  const groups = readGroups(auth);
  return { htpasswd, token, groups, access: readAccess(auth, groups), rateLimit: readRateLimit(auth.section('ratelimit')) };
}

/**
 * True when `name` is written under `section`, even without a value: a provider written as `htpasswd:`
 * is configured (and then needs its path), as in distribution, rather than silently left out.
 */
function isWritten(section: ConfigSection, name: string): boolean {
  return section.node !== undefined && keysMatching(section.node, name).length > 0;
}

function readHtpasswd(section: ConfigSection): NonNullable<AuthConfig['htpasswd']> {
  const path = section.string('path');
  if (path === undefined || path === '') section.fail('path', 'is required: the htpasswd file (bcrypt lines, as `htpasswd -B` or `private-registry user add` writes them)');
  const cost = section.integer('cost') ?? DEFAULT_BCRYPT_COST;
  if (cost < 4 || cost > 31) section.fail('cost', `${cost} is not a bcrypt cost (4 to 31)`);
  return { realm: section.string('realm') || DEFAULT_AUTH_REALM, path, bcryptCost: cost };
}

function readToken(section: ConfigSection): TokenAuthConfig {
  const builtin = readBuiltin(section);
  const realm = section.string('realm') || undefined;
  const rootCertBundle = section.string('rootcertbundle') || undefined;
  const jwks = section.string('jwks') || undefined;
  if (builtin === undefined) {
    if (realm === undefined) section.fail('realm', 'is required: the URL of the token server clients get tokens from (or configure token.builtin)');
    if (rootCertBundle === undefined && jwks === undefined) section.fail('', 'rootcertbundle or jwks is required: the keys the token server signs with (or configure token.builtin)');
  }
  if (realm !== undefined && !isHttpUrl(realm)) section.fail('realm', `${JSON.stringify(realm)} is not an absolute http(s) URL`);
  const service = section.string('service') || (builtin ? DEFAULT_TOKEN_SERVICE : undefined);
  if (service === undefined) section.fail('service', 'is required: the service name tokens are issued for (their audience)');
  const issuer = section.string('issuer') || (builtin ? DEFAULT_TOKEN_ISSUER : undefined);
  if (issuer === undefined) section.fail('issuer', 'is required: the issuer (iss) tokens must carry');
  return { realm, service, issuer, rootCertBundle, jwks, builtin };
}

function readBuiltin(token: ConfigSection): BuiltinTokenServiceConfig | undefined {
  const node = token.child('builtin');
  if (node === undefined) {
    // `builtin:` with no value (or REGISTRY_AUTH_TOKEN_BUILTIN= to clear it) is ambiguous: on or off?
    if (isWritten(token, 'builtin')) token.fail('builtin', 'has no value: write true, false, or a mapping of its settings');
    return undefined;
  }
  if (node.kind === 'scalar') {
    if (token.bool('builtin') === false) return undefined;
    return defaultsOfBuiltin();
  }
  const section = token.section('builtin');
  const expirationMs = section.duration('expiration') ?? DEFAULT_TOKEN_EXPIRATION_MS;
  if (expirationMs < 1000) section.fail('expiration', 'must be at least 1s');
  const refreshExpirationMs = section.duration('refreshexpiration') ?? DEFAULT_REFRESH_EXPIRATION_MS;
  // A refresh token must outlive the access tokens it renews, or docker login's identity token is useless.
  if (refreshExpirationMs < expirationMs) section.fail('refreshexpiration', 'must be at least as long as expiration (refresh tokens renew access tokens)');
  return {
    expirationS: Math.floor(expirationMs / 1000),
    refreshExpirationMs,
    signingKey: section.string('signingkey') || undefined,
    rotationMs: section.duration('rotation') ?? DEFAULT_KEY_ROTATION_MS,
  };
}

function defaultsOfBuiltin(): BuiltinTokenServiceConfig {
  return {
    expirationS: DEFAULT_TOKEN_EXPIRATION_MS / 1000,
    refreshExpirationMs: DEFAULT_REFRESH_EXPIRATION_MS,
    signingKey: undefined,
    rotationMs: DEFAULT_KEY_ROTATION_MS,
  };
}

function readGroups(auth: ConfigSection): Record<string, string[]> {
  const node = auth.child('groups');
  const groups: Record<string, string[]> = {};
  if (node === undefined) return groups;
  if (node.kind !== 'map') auth.fail('groups', 'expected a mapping of group names to lists of user names');
  const section = auth.section('groups');
  for (const name of node.entries.keys()) groups[name] = section.stringList(name) ?? [];
  return groups;
}

function readAccess(auth: ConfigSection, groups: Record<string, string[]>): AccessRule[] | undefined {
  if (auth.child('access') === undefined) return undefined;
  return auth.sectionList('access').map((rule, index) => {
    const repositories = readRepositoryGlobs(rule);
    const users = rule.stringList('users') ?? [];
    const ruleGroups = rule.stringList('groups') ?? [];
    for (const group of ruleGroups) if (!Object.hasOwn(groups, group)) rule.fail('groups', `group ${JSON.stringify(group)} is not defined in auth.groups`);
    const anonymous = rule.bool('anonymous') ?? false;
    if (users.length === 0 && ruleGroups.length === 0 && !anonymous) rule.fail('', 'name users, groups, or anonymous: true');
    const actions = (rule.stringList('actions') ?? []).map((a) => a.trim().toLowerCase());
    if (actions.length === 0) rule.fail('actions', 'is required: pull, push, overwrite, delete or admin');
    for (const action of actions) if (!isActionWord(action)) rule.fail('actions', `${JSON.stringify(action)} is not one of pull, push, overwrite, delete, admin`);
    return { repositories, users, groups: ruleGroups, anonymous, actions, index };
  });
}

function readRateLimit(section: ConfigSection): RateLimitConfig {
  const addressBurst = section.integer('addressburst') ?? DEFAULT_RATE_LIMIT.addressBurst;
  const userBurst = section.integer('userburst') ?? DEFAULT_RATE_LIMIT.userBurst;
  const refillMs = section.duration('refill') ?? DEFAULT_RATE_LIMIT.refillMs;
  if (addressBurst < 1) section.fail('addressburst', 'must be at least 1');
  if (userBurst < 1) section.fail('userburst', 'must be at least 1');
  if (refillMs < 1) section.fail('refill', 'must be more than 0');
  return { addressBurst, userBurst, refillMs };
}

/** An absolute http(s) URL with a host and nothing a header or a client would choke on (spaces, quotes). */
function isHttpUrl(text: string): boolean {
  if (/[\s"\\]/.test(text) || !/^https?:\/\/[^/]/i.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
