// Who is asking: decided once per request by the authenticator, read by every access check after it.
import type { Rights } from './access-rights.js';

/** One entry of a bearer token's `access` claim (Docker token specification). */
export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

/** A robot token's grant: a repository glob and what it allows there. */
export interface ScopeGrant {
  repository: string;
  rights: Rights;
}

export type Principal =
  | { kind: 'anonymous' }
  /** An htpasswd user (Basic credentials), or a TLS client certificate mapped to a user by its CN. */
  | { kind: 'user'; name: string; via: 'password' | 'certificate' }
  /** A long-lived access token (`private-registry token create`): its own scopes, not the policy. */
  | { kind: 'robot'; name: string; grants: readonly ScopeGrant[] }
  /** A bearer JWT: exactly the `access` it carries. `builtin` when our own token service signed it. */
  | { kind: 'bearer'; subject: string; issuer: string; access: readonly TokenAccess[]; builtin: boolean };

export const ANONYMOUS: Principal = { kind: 'anonymous' };

/** The name to show in logs ("anonymous", the user, the robot, the token subject). */
export function principalName(principal: Principal): string {
  switch (principal.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'user':
    case 'robot':
      return principal.name;
    case 'bearer':
      return principal.subject;
  }
}
