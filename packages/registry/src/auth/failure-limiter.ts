// Failed logins are rate-limited per client address and per user name (rate-limiter-flexible, in memory):
// past the burst, attempts get 429 TOOMANYREQUESTS with Retry-After before any password is checked, so a
// guesser gets no answer and no bcrypt time. Only failures count; the burst refills one failure per `refillMs`.
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/registry-config.js';

export interface LimitState {
  /** Seconds until another attempt is allowed, when blocked. */
  retryAfterS: number;
  /** What blocked: the address or the user name. */
  by: 'address' | 'user';
}

export class FailureLimiter {
  private readonly byAddress: RateLimiterMemory;
  private readonly byUser: RateLimiterMemory;

  constructor(config: RateLimitConfig) {
    this.byAddress = new RateLimiterMemory({ points: config.addressBurst, duration: Math.max(1, Math.ceil((config.addressBurst * config.refillMs) / 1000)) });
    this.byUser = new RateLimiterMemory({ points: config.userBurst, duration: Math.max(1, Math.ceil((config.userBurst * config.refillMs) / 1000)) });
  }

  /** Undefined when an attempt from `address` for `user` may go ahead. */
  async blocked(address: string, user: string | undefined): Promise<LimitState | undefined> {
    const byAddress = await this.byAddress.get(address);
    if (isSpent(byAddress, this.byAddress.points)) return { retryAfterS: retryAfter(byAddress), by: 'address' };
    if (user === undefined) return undefined;
    const byUser = await this.byUser.get(user);
    if (isSpent(byUser, this.byUser.points)) return { retryAfterS: retryAfter(byUser), by: 'user' };
    return undefined;
  }

  /** Counts one failed attempt against both. */
  async failed(address: string, user: string | undefined): Promise<void> {
    await Promise.all([this.byAddress.penalty(address, 1), user === undefined ? undefined : this.byUser.penalty(user, 1)]);
  }
}

function isSpent(res: RateLimiterRes | null, points: number): res is RateLimiterRes {
  return res !== null && res.consumedPoints >= points;
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}
