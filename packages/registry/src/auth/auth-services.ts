// The parts the HTTP auth layer is built from, as interfaces: the htpasswd file, robot access tokens, the
// bearer-token verifier and the built-in token service's signer. auth-setup.ts builds the real ones.
import type { ScopeGrant, TokenAccess } from './principal.js';

export interface PasswordStore {
  /** Constant-time; false for an unknown user (after spending the same time). */
  verify(user: string, password: string): Promise<boolean>;
  has(user: string): boolean;
}

export interface RobotTokenStore {
  /** The robot's grants when `secret` is its valid, unexpired token; undefined otherwise. */
  verify(name: string, secret: string): Promise<{ name: string; grants: ScopeGrant[] } | undefined>;
  /** A live (unrevoked, unexpired) robot's grants, by name: what a token issued to it may still mean. */
  grantsOf(name: string): Promise<ScopeGrant[] | undefined>;
}

export interface VerifiedBearer {
  subject: string;
  issuer: string;
  access: TokenAccess[];
  builtin: boolean;
}

export interface BearerVerifier {
  /** Throws (any error) when the token is not valid here: bad signature, expired, other service... */
  verify(token: string): Promise<VerifiedBearer>;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

export interface TokenSigner {
  issue(claims: { subject: string; audience: string; access: TokenAccess[] }): Promise<IssuedToken>;
  issueRefresh(subject: string, audience: string): Promise<string>;
  /** Throws when the refresh token is not valid (expired, other audience, an access token). */
  verifyRefresh(token: string, audience: string): Promise<{ subject: string }>;
}
