// One etcd key held under one lease: grant, renew, repair, revoke. Every write of the key names the lease,
// so the key can never outlive the sidekick by more than a TTL. Each call is one bounded step; the
// announcer decides when to take it and what to do when etcd fails.

import { EtcdLeaseInvalidError, type Etcd3, type Lease } from 'etcd3';
import { SidekickError } from './sidekick-error.js';

export interface LeasedKeyOptions {
  client: Etcd3;
  key: string;
  ttlSeconds: number;
  /** Deadline of each etcd request, so a silent network (not just a refusing one) fails the step. */
  requestTimeoutMs: number;
}

/** What a keep() found under the key before it wrote our value there again. */
export type KeyState = 'missing' | 'without a lease' | 'under another lease' | 'with another value';

export interface KeepOutcome {
  leaseId: string;
  /** A new lease was granted (none was held). */
  granted: boolean;
  /** Set when the key did not hold our value under our lease, and was put again. */
  repaired?: KeyState;
}

interface HeldLease {
  lease: Lease;
  id: string;
}

export class LeasedKey {
  readonly key: string;
  private readonly client: Etcd3;
  private readonly ttlSeconds: number;
  private readonly requestTimeoutMs: number;
  /** The lease our key lives under, kept alive by keep(). */
  private current: HeldLease | undefined;
  /** A withdrawn lease whose revoke etcd has not yet confirmed. */
  private abandoned: HeldLease | undefined;

  constructor(options: LeasedKeyOptions) {
    this.client = options.client;
    this.key = options.key;
    this.ttlSeconds = options.ttlSeconds;
    this.requestTimeoutMs = options.requestTimeoutMs;
  }

  get leaseId(): string | undefined {
    return this.current?.id;
  }

  get holdsLease(): boolean {
    return this.current !== undefined;
  }

  /** A withdraw() is still owed to etcd. */
  get revokePending(): boolean {
    return this.abandoned !== undefined;
  }

  /**
   * Grants a lease if none is held, or renews the held one once; then makes sure the key holds `value`
   * under it (one transaction: put only when the key is missing, unleased, on another lease or changed).
   * Throws LEASE_LOST (the lease is then dropped) or ETCD_UNAVAILABLE.
   */
  async keep(value: string): Promise<KeepOutcome> {
    try {
      let granted = false;
      if (this.current === undefined) {
        this.current = await this.grant();
        granted = true;
      } else {
        await this.current.lease.keepaliveOnce({ deadline: this.deadline() });
      }
      const held: HeldLease = this.current;
      const repaired = await this.ensureValue(held.id, value);
      if (this.abandoned !== undefined) await this.withdrawAbandoned().catch(() => undefined);
      return { leaseId: held.id, granted, ...(repaired === undefined ? {} : { repaired }) };
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) {
        const id = this.current?.id;
        this.current?.lease.release();
        this.current = undefined;
        throw new SidekickError('LEASE_LOST', `lease ${id ?? '?'} of ${this.key} is expired or revoked`, { cause: err });
      }
      throw etcdUnavailable(err);
    }
  }

  /**
   * Revokes the lease, which deletes the key at once. Keepalives stop immediately; if etcd cannot be
   * reached the revoke stays owed (revokePending) and the next call tries again. Resolves with the id of the
   * lease revoked, undefined when there was none.
   */
  async withdraw(): Promise<string | undefined> {
    if (this.current !== undefined) {
      this.abandoned = this.current;
      this.current = undefined;
    }
    const id = this.abandoned?.id;
    if (id === undefined) return undefined;
    try {
      await this.withdrawAbandoned();
    } catch (err) {
      throw etcdUnavailable(err);
    }
    return id;
  }

  private async grant(): Promise<HeldLease> {
    // autoKeepAlive off: etcd3's own loop notices a loss only after 2 x TTL; keep() renews on our schedule.
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false, deadline: this.deadline() });
    try {
      return { lease, id: await lease.grant() };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  private async ensureValue(leaseId: string, value: string): Promise<KeyState | undefined> {
    const result = await this.client
      .if(this.key, 'Lease', '==', leaseId)
      .and(this.key, 'Value', '==', value)
      .else(this.client.get(this.key), this.client.put(this.key).value(value).lease(leaseId))
      .options({ deadline: this.deadline() })
      .commit();
    if (result.succeeded) return undefined;
    const previous = result.responses[0]?.response_range?.kvs[0];
    if (previous === undefined) return 'missing';
    if (previous.lease === '0' || previous.lease === '') return 'without a lease';
    return previous.lease === leaseId ? 'with another value' : 'under another lease';
  }

  private async withdrawAbandoned(): Promise<void> {
    const abandoned = this.abandoned;
    if (abandoned === undefined) return;
    // etcd3's revoke() treats "lease not found" as done: an expired lease needs no revoking.
    await abandoned.lease.revoke({ deadline: this.deadline() });
    if (this.abandoned === abandoned) this.abandoned = undefined;
  }

  private deadline(): number {
    return Date.now() + this.requestTimeoutMs;
  }
}

function etcdUnavailable(err: unknown): SidekickError {
  if (err instanceof SidekickError) return err;
  const message = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
  return new SidekickError('ETCD_UNAVAILABLE', message, { cause: err });
}
