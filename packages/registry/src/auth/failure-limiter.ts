// Failed logins are rate-limited per client address and per user name (rate-limiter-flexible, in memory):
// past the burst, attempts get 429 TOOMANYREQUESTS with Retry-After before any password is checked, so a
// guesser gets no answer and no bcrypt time. Only failures count; the burst refills one failure per `refillMs`.
// Under http.workers the counters live in the primary (rate-limiter-flexible's cluster limiter, over IPC), so a
// guesser spreading attempts over connections meets one budget, not one per worker.
import { RateLimiterCluster, RateLimiterMemory, type RateLimiterAbstract, type RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/registry-config.js';

export interface LimitState {
  /** Seconds until another attempt is allowed, when blocked. */
  retryAfterS: number;
  /** What blocked: the address or the user name. */
  by: 'address' | 'user';
}

export class FailureLimiter {
  private readonly byAddress: RateLimiterAbstract;
  private readonly byUser: RateLimiterAbstract;
  /** Addresses and users with a failure counted, and when their window ends: the rest skip the counters. */
  private readonly failing = new Map<string, number>();
  private readonly windowMs: number;

  /** `shared`: this is a worker, and the counters are kept by the primary's RateLimiterClusterMaster. */
  constructor(config: RateLimitConfig, shared = false) {
    const addressS = Math.max(1, Math.ceil((config.addressBurst * config.refillMs) / 1000));
    const userS = Math.max(1, Math.ceil((config.userBurst * config.refillMs) / 1000));
    const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
      shared ? new RateLimiterCluster({ keyPrefix, points, duration, timeoutMs: 2_000 }) : new RateLimiterMemory({ points, duration });
    this.byAddress = limiter('login-address', config.addressBurst, addressS);
    this.byUser = limiter('login-user', config.userBurst, userS);
    this.windowMs = Math.max(addressS, userS) * 1000;
  }

  /**
   * True when `address` or `user` failed recently, so `blocked` must be asked; false (the common case: a
   * client that logs in correctly) lets a request skip the counters altogether.
   */
  mayBeBlocked(address: string, user: string | undefined): boolean {
    if (this.failing.size === 0) return false;
    return this.recent(`a:${address}`) || (user !== undefined && this.recent(`u:${user}`));
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

  private recent(key: string): boolean {
    const until = this.failing.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.failing.delete(key);
    return false;
  }

  /** Counts one failed attempt against both. */
  async failed(address: string, user: string | undefined): Promise<void> {
    const until = Date.now() + this.windowMs;
    if (this.failing.size > 100_000) this.failing.clear();
    this.failing.set(`a:${address}`, until);
    if (user !== undefined) this.failing.set(`u:${user}`, until);
    await Promise.all([this.byAddress.penalty(address, 1), user === undefined ? undefined : this.byUser.penalty(user, 1)]);
  }
}

function isSpent(res: RateLimiterRes | null, points: number): res is RateLimiterRes {
  return res !== null && res.consumedPoints >= points;
}

function retryAfter(res: RateLimiterRes): number {
  return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
}
