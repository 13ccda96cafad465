// Builds the auth layer from the `auth` section: the htpasswd file, robot tokens in the store, the access
// policy, the failed-login limiter, bearer verification (our own keys and/or an external issuer's), the
// built-in token service, and TLS client certificates as users. Everything heavy is imported only here, so
// an open registry never loads bcrypt, jose or X.509 code.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@private-registry/core';
import type { AuthConfig, HttpConfig } from '../config/registry-config.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { TOKEN_PATH, type TokenEndpoint } from '../app.js';
import { requestProtocol } from '../http/request-context.js';
import { AccessGate, type GateScheme } from './access-gate.js';
import { AccessPolicy } from './access-policy.js';
import type { BearerVerifier, PasswordStore, RobotTokenStore, TokenSigner } from './auth-services.js';
import { FailureLimiter } from './failure-limiter.js';
import { createTokenEndpoint } from './token-endpoint.js';

export interface AccessControl {
  gate: AccessGate;
  tokenEndpoint: TokenEndpoint | undefined;
  close(): void;
}

export interface AccessControlOptions {
  driver: StorageDriver;
  log: Logger;
  http: HttpConfig;
  /** A worker under http.workers: failed-login counters are shared through the primary. */
  sharedLimits?: boolean;
}

export async function createAccessControl(auth: AuthConfig, options: AccessControlOptions): Promise<AccessControl> {
  const { log, driver, http } = options;
  const closers: Array<() => void> = [];
  const passwords = auth.htpasswd === undefined ? undefined : await openHtpasswd(auth.htpasswd.path, log, closers);
  const robots: RobotTokenStore = await openRobots(driver);
  const policy = new AccessPolicy(auth.access, auth.groups);
  warnAboutUnknownUsers(auth, passwords, log);
  const limiter = new FailureLimiter(auth.rateLimit, options.sharedLimits ?? false);
  let bearer: BearerVerifier | undefined;
  let signer: TokenSigner | undefined;
  let scheme: GateScheme;
  if (auth.token !== undefined) {
    const token = auth.token;
    const { SigningKeys } = await import('./signing-keys.js');
    const { TokenIssuer } = await import('./token-issuer.js');
    const { TokenVerifier } = await import('./token-verifier.js');
    const keys =
      token.builtin === undefined
        ? undefined
        : await SigningKeys.open({
            driver,
            ...(token.builtin.signingKey === undefined ? {} : { keyFile: token.builtin.signingKey }),
            rotationMs: token.builtin.rotationMs,
            tokenLifetimeS: token.builtin.expirationS,
            refreshLifetimeMs: token.builtin.refreshExpirationMs,
            log,
          });
    if (keys !== undefined) {
      closers.push(() => keys.close());
      signer = new TokenIssuer(keys, { issuer: token.issuer, expirationS: token.builtin?.expirationS ?? 300, refreshExpirationMs: token.builtin?.refreshExpirationMs ?? 0 });
    }
    const verifier = await TokenVerifier.create({
      issuer: token.issuer,
      service: token.service,
      ...(token.rootCertBundle === undefined ? {} : { rootCertBundle: token.rootCertBundle }),
      ...(token.jwks === undefined ? {} : { jwks: token.jwks }),
      ...(keys === undefined ? {} : { ownKeys: keys }),
      log,
    });
    closers.push(() => verifier.close?.());
    bearer = verifier;
    scheme = { kind: 'bearer', realm: token.realm ?? ownRealm(http), service: token.service };
  } else {
    scheme = { kind: 'basic', realm: auth.htpasswd?.realm ?? 'private-registry' };
  }
  const certificateUser = http.tls !== undefined && http.tls.clientCas.length > 0 ? (await import('../http/client-certificate.js')).clientCertificateUser : undefined;
  const gate = new AccessGate({
    policy,
    scheme,
    limiter,
    log,
    robots,
    ...(passwords ? { passwords } : {}),
    ...(bearer ? { bearer } : {}),
    ...(certificateUser ? { certificateUser } : {}),
  });
  const tokenEndpoint =
    signer === undefined || auth.token === undefined
      ? undefined
      : createTokenEndpoint({
          gate,
          signer,
          service: auth.token.service,
          realm: auth.htpasswd?.realm ?? 'private-registry',
          anonymousAllowed: policy.grantsAnything({ kind: 'anonymous' }),
          userExists: (name) => passwords?.has(name) ?? false,
          log,
        });
  return {
    gate,
    tokenEndpoint,
    close: () => {
      for (const close of closers) close();
    },
  };
}

/** Our own token endpoint: under http.host when set, else on whatever host and scheme the client used. */
function ownRealm(http: HttpConfig): string | ((req: IncomingMessage) => string) {
  // The same path app.ts serves the endpoint on: http.prefix without its trailing slash, then /auth/token.
  const path = `${http.prefix.replace(/\/+$/, '')}${TOKEN_PATH}`;
  if (http.host !== undefined) return `${http.host.replace(/\/+$/, '')}${path}`;
  return (req) => `${requestProtocol(req, http.tls !== undefined)}://${req.headers.host ?? 'localhost'}${path}`;
}

async function openHtpasswd(path: string, log: Logger, closers: Array<() => void>): Promise<PasswordStore> {
  const { HtpasswdFile } = await import('./htpasswd-file.js');
  const file = await HtpasswdFile.open(path, log);
  closers.push(() => file.close());
  return file;
}

async function openRobots(driver: StorageDriver): Promise<RobotTokenStore> {
  const { AccessTokens } = await import('./access-tokens.js');
  return new AccessTokens(driver);
}

/** Users the policy names that the htpasswd file does not have: a typo there would deny silently. */
function warnAboutUnknownUsers(auth: AuthConfig, passwords: PasswordStore | undefined, log: Logger): void {
  if (passwords === undefined || auth.access === undefined) return;
  const named = new Set([...auth.access.flatMap((rule) => rule.users), ...Object.values(auth.groups).flat()]);
  for (const user of named) {
    if (user !== '*' && !passwords.has(user)) log.warn({ user }, 'the access policy names a user the htpasswd file does not have (yet)');
  }
}
