// Refused authentications and authorizations, by reason (auth/access-gate.ts reports each one).
import { Counter, type Registry } from 'prom-client';

/**
 * Why the gate refused: 401 without credentials where they are needed (`unauthenticated`, also the first
 * request of every docker login), with bad ones (`invalid_credentials`, `invalid_token`), with a token that
 * does not cover the access (`insufficient_scope`); 403 for a known caller without the right (`denied`);
 * 429 after too many failures (`rate_limited`).
 */
export type AuthFailureReason = 'unauthenticated' | 'invalid_credentials' | 'invalid_token' | 'insufficient_scope' | 'denied' | 'rate_limited';

export const AUTH_FAILURE_REASONS: readonly AuthFailureReason[] = ['unauthenticated', 'invalid_credentials', 'invalid_token', 'insufficient_scope', 'denied', 'rate_limited'];

export class AuthMetrics {
  private readonly failures: Counter<'reason'>;
  private readonly byReason = new Map<AuthFailureReason, Counter.Internal>();

  constructor(registry: Registry) {
    this.failures = new Counter({ name: 'registry_auth_failures_total', help: 'Requests refused by authentication or authorization, by reason.', labelNames: ['reason'], registers: [registry] });
    for (const reason of AUTH_FAILURE_REASONS) {
      const child = this.failures.labels(reason);
      child.inc(0);
      this.byReason.set(reason, child);
    }
  }

  failed(reason: AuthFailureReason): void {
    this.byReason.get(reason)?.inc();
  }
}
