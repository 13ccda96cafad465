// The one place a request is authenticated and authorized. Who is asking comes from the Authorization header
// (Basic: an htpasswd user, or a robot token as the password; Bearer: a JWT) or a verified TLS client
// certificate (its CN as a user name); what they may do comes from the access policy, the robot's scopes or
// the token's `access`. Failures answer 401 UNAUTHORIZED with the challenge (no or bad credentials, or a
// token that does not cover the repository), 403 DENIED (known caller, no right), 429 TOOMANYREQUESTS.
import type { IncomingMessage } from 'node:http';
import type { Logger } from '@private-registry/core';
import { RegistryError } from '../oci/registry-errors.js';
import { NO_RIGHTS, type Action, type Rights } from './access-rights.js';
import type { AccessPolicy } from './access-policy.js';
import type { BearerVerifier, PasswordStore, RobotTokenStore } from './auth-services.js';
import { readCredentials } from './basic-credentials.js';
import { bearerRights, grantsCatalog } from './bearer-rights.js';
import { challengeHeader, repositoryScope, type ChallengeScheme } from './challenge.js';
import type { FailureLimiter } from './failure-limiter.js';
import { ANONYMOUS, type Principal } from './principal.js';
import { robotRights } from './robot-rights.js';
import type { AuthFailureReason } from '../metrics/auth-metrics.js';
// A password starting with the robot prefix is checked as a robot token, not against htpasswd.
import { ROBOT_SECRET_PREFIX } from './access-tokens.js';


/** The challenge's scheme; a bearer realm may depend on the request (our own /auth/token, on the Host asked). */
export type GateScheme = { kind: 'basic'; realm: string } | { kind: 'bearer'; realm: string | ((req: IncomingMessage) => string); service: string };

export interface AccessGateOptions {
  policy: AccessPolicy;
  scheme: GateScheme;
  limiter: FailureLimiter;
  log: Logger;
  passwords?: PasswordStore;
  robots?: RobotTokenStore;
  bearer?: BearerVerifier;
  /** The CN of a verified TLS client certificate. */
  certificateUser?: (req: IncomingMessage) => string | undefined;
}

/** Told of every refusal, with its reason (the metrics count them). */
export type AuthFailureObserver = (reason: AuthFailureReason) => void;

export class AccessGate {
  private failureObserver: AuthFailureObserver | undefined;

  constructor(private readonly options: AccessGateOptions) {}

  /** Reports every refusal from now on to `observer`. */
  observeFailures(observer: AuthFailureObserver): void {
    this.failureObserver = observer;
  }

  /** The one place a refusal is reported. */
  private refused(reason: AuthFailureReason): void {
    this.failureObserver?.(reason);
  }

  /** The challenge for this request, its realm resolved. */
  schemeFor(req: IncomingMessage): ChallengeScheme {
    const { scheme } = this.options;
    if (scheme.kind === 'basic' || typeof scheme.realm === 'string') return scheme as ChallengeScheme;
    return { kind: 'bearer', realm: scheme.realm(req), service: scheme.service };
  }

  /** Who sent `req`; throws 401 for credentials that do not verify, 429 when failures from there are spent. */
  async principalOf(req: IncomingMessage): Promise<Principal> {
    const credentials = readCredentials(req.headers.authorization);
    switch (credentials.kind) {
      case 'none': {
        const user = this.options.certificateUser?.(req);
        return user === undefined ? ANONYMOUS : { kind: 'user', name: user, via: 'certificate' };
      }
      case 'malformed':
        this.options.log.warn({ address: addressOf(req), reason: credentials.reason }, 'authentication failed');
        throw this.unauthorized(req, undefined, 'invalid credentials');
      case 'bearer':
        return this.bearerPrincipal(req, credentials.token);
      case 'basic': {
        const principal = await this.checkPassword(addressOf(req), credentials.user, credentials.password);
        // Already reported by checkPassword.
        if (principal === undefined) throw this.challenge(req, undefined, 'invalid username or password');
        return principal;
      }
    }
  }

  /**
   * A user name and password (Basic, or the token endpoint's form): a robot token when the password looks like
   * one, else the htpasswd file. Undefined when they do not verify (already counted and logged); 429 when blocked.
   */
  async checkPassword(address: string, user: string, password: string): Promise<Principal | undefined> {
    const { limiter } = this.options;
    const blocked = limiter.mayBeBlocked(address, user) ? await limiter.blocked(address, user) : undefined;
    if (blocked !== undefined) {
      this.options.log.warn({ user, address, by: blocked.by, retryAfterS: blocked.retryAfterS }, 'authentication refused: too many failed attempts');
      this.refused('rate_limited');
      throw new RegistryError('TOOMANYREQUESTS', 'too many failed authentication attempts; retry later', {
        headers: { 'Retry-After': String(blocked.retryAfterS) },
      });
    }
    const principal = await this.verifyPassword(user, password);
    if (principal === undefined) {
      await this.options.limiter.failed(address, user);
      this.refused('invalid_credentials');
      this.options.log.warn({ user, address }, 'authentication failed: invalid username or password');
    }
    return principal;
  }

  /** What `principal` may do in repository `name`. */
  rights(principal: Principal, name: string): Rights {
    switch (principal.kind) {
      case 'anonymous':
        return this.options.policy.rights({ kind: 'anonymous' }, name);
      case 'user':
        return this.options.policy.rights({ kind: 'user', name: principal.name }, name);
      case 'robot':
        return robotRights(principal.grants, name);
      case 'bearer':
        return bearerRights(principal.access, name, principal.builtin) ?? NO_RIGHTS;
    }
  }

  /**
   * Throws unless `principal` may do every one of `actions` in `name`; returns a promise (to await) only
   * when a bearer token falls short and its subject must be looked up. `scopeActions` is what the challenge
   * asks a token for (docker asks "pull,push" to push).
   */
  require(req: IncomingMessage, principal: Principal, name: string, actions: readonly Action[], scopeActions: readonly string[] = actions): Promise<void> | undefined {
    if (principal.kind === 'bearer') {
      const granted = bearerRights(principal.access, name, principal.builtin);
      if (granted !== undefined && actions.every((action) => granted.actions.has(action))) return undefined;
      return this.refuseBearer(req, principal, name, actions, repositoryScope(name, scopeActions));
    }
    const rights = this.rights(principal, name);
    if (actions.every((action) => rights.actions.has(action))) return undefined;
    if (principal.kind === 'anonymous') throw this.unauthorized(req, repositoryScope(name, scopeActions));
    throw this.denied(name, actions);
  }

  /**
   * A token that does not carry the action may only not have asked for it: the client must get one that
   * covers it (401 insufficient_scope). When it is our own token and its subject may not do it in any case,
   * that is final: 403. Anonymous tokens may still log in.
   */
  private async refuseBearer(req: IncomingMessage, principal: Principal & { kind: 'bearer' }, name: string, actions: readonly Action[], scope: string): Promise<void> {
    if (this.isAnonymous(principal)) throw this.unauthorized(req, scope);
    const subject = principal.builtin ? await this.subjectOf(principal.subject) : undefined;
    if (subject !== undefined) {
      const rights = this.rights(subject, name);
      if (!actions.every((action) => rights.actions.has(action))) throw this.denied(name, actions);
    }
    throw this.unauthorized(req, scope, 'the token does not grant this access', 'insufficient_scope');
  }

  /**
   * Registry-wide rights (the UI's status page): a user or anonymous caller the policy makes admin of `**`,
   * a robot granted admin on `**`. Tokens from a token server are not asked (the UI logs in with passwords).
   */
  isRegistryAdmin(principal: Principal): boolean {
    switch (principal.kind) {
      case 'anonymous':
        return this.options.policy.isRegistryAdmin({ kind: 'anonymous' });
      case 'user':
        return this.options.policy.isRegistryAdmin({ kind: 'user', name: principal.name });
      case 'robot':
        return principal.grants.some((grant) => grant.repository === '**' && grant.rights.admin);
      case 'bearer':
        return false;
    }
  }

  /** Whether callers without credentials may do anything anywhere (then the UI lets them browse without logging in). */
  get anonymousHasRights(): boolean {
    return this.options.policy.grantsAnything({ kind: 'anonymous' });
  }

  /** Whether user names and passwords (or robot tokens) are checked here, so a login form can work. */
  get checksPasswords(): boolean {
    return this.options.passwords !== undefined || this.options.robots !== undefined;
  }

  /** The user or robot our own token service issued a token to (or a UI session names), as it stands now. */
  async subjectOf(subject: string): Promise<Principal | undefined> {
    if (this.options.passwords?.has(subject)) return { kind: 'user', name: subject, via: 'password' };
    const grants = await this.options.robots?.grantsOf(subject);
    return grants === undefined ? undefined : { kind: 'robot', name: subject, grants };
  }

  /** Callers without credentials (or a token without a subject) may still log in. */
  isAnonymous(principal: Principal): boolean {
    return principal.kind === 'anonymous' || (principal.kind === 'bearer' && (principal.subject === '' || principal.subject === 'anonymous'));
  }

  /**
   * `_catalog`: anonymous callers with no right anywhere must log in; a bearer token must carry
   * `registry:catalog:*` (the challenge asks for it, as distribution's does).
   */
  requireCatalog(req: IncomingMessage, principal: Principal): void {
    const scope = 'registry:catalog:*';
    if (principal.kind === 'anonymous' && !this.options.policy.grantsAnything({ kind: 'anonymous' })) throw this.unauthorized(req, scope);
    if (principal.kind === 'bearer' && !grantsCatalog(principal.access)) throw this.unauthorized(req, scope, 'the token does not cover the catalog', 'insufficient_scope');
  }

  /**
   * Whether `_catalog` shows repository `name` to this caller: it may pull there. A catalog token from our own
   * service lists what its user may pull by the policy; one from an external server lists everything (that
   * server decided who may list); robots and other tokens see the repositories their grants cover.
   */
  mayList(principal: Principal, name: string): boolean {
    if (principal.kind === 'bearer' && grantsCatalog(principal.access)) {
      if (!principal.builtin) return true;
      if (this.options.passwords?.has(principal.subject)) return this.options.policy.rights({ kind: 'user', name: principal.subject }, name).actions.has('pull');
    }
    return this.rights(principal, name).actions.has('pull');
  }

  /** A 401 with the challenge, reported: without a message it asks for credentials, with one it refuses them. */
  unauthorized(req: IncomingMessage, scope?: string, message?: string, error?: 'insufficient_scope' | 'invalid_token'): RegistryError {
    this.refused(error ?? (message === undefined ? 'unauthenticated' : 'invalid_credentials'));
    return this.challenge(req, scope, message, error);
  }

  private challenge(req: IncomingMessage, scope?: string, message?: string, error?: 'insufficient_scope' | 'invalid_token'): RegistryError {
    return new RegistryError('UNAUTHORIZED', message ?? 'authentication required', {
      headers: { 'WWW-Authenticate': challengeHeader(this.schemeFor(req), scope, error) },
      ...(scope === undefined ? {} : { detail: { scope } }),
    });
  }

  private denied(name: string, actions: readonly Action[]): RegistryError {
    this.refused('denied');
    return new RegistryError('DENIED', 'requested access to the resource is denied', { detail: { repository: name, actions } });
  }

  private async verifyPassword(user: string, password: string): Promise<Principal | undefined> {
    if (password.startsWith(ROBOT_SECRET_PREFIX) && this.options.robots !== undefined) {
      const robot = await this.options.robots.verify(user, password);
      return robot === undefined ? undefined : { kind: 'robot', name: robot.name, grants: robot.grants };
    }
    if (this.options.passwords !== undefined && (await this.options.passwords.verify(user, password))) {
      return { kind: 'user', name: user, via: 'password' };
    }
    return undefined;
  }

  private async bearerPrincipal(req: IncomingMessage, token: string): Promise<Principal> {
    if (this.options.bearer === undefined) throw this.unauthorized(req, undefined, 'bearer tokens are not accepted here');
    try {
      const verified = await this.options.bearer.verify(token);
      return { kind: 'bearer', ...verified };
    } catch (err) {
      const reason = err instanceof Error ? err.message.slice(0, 200) : 'invalid token';
      this.options.log.warn({ address: addressOf(req), reason }, 'authentication failed: bearer token refused');
      throw this.unauthorized(req, undefined, 'invalid or expired token', 'invalid_token');
    }
  }
}


/** The client's address, as the socket sees it (no X-Forwarded-For: a proxy in front must not pool every client). */
export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}
