// One sweep at a time across every replica sharing a store: a lock object in the store with an owner and an
// expiry, renewed while the sweep runs. Without a compare-and-swap in the driver contract, taking it is
// write-then-verify: write ours, wait a moment, read it back; a competitor that wrote in between wins or loses
// as the last write decides, and the loser sees it is not the owner. A sweeper that dies leaves a lock that
// others take over once it expires.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '@private-registry/core';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { deleteIfPresent } from '../services/link-files.js';

interface LockBody {
  owner: string;
  host: string;
  pid: number;
  acquiredAt: string;
  expiresAt: number;
}

export class GcLockBusyError extends CodedError {
  constructor(readonly holder: { host: string; pid: number; expiresAt: number }) {
    super('GC_LOCK_BUSY', `another garbage collection holds the lock (${holder.host} pid ${holder.pid}, until ${new Date(holder.expiresAt).toISOString()})`);
  }
}

export class GcLockLostError extends CodedError {
  constructor() {
    super('GC_LOCK_LOST', 'the garbage collection lock was taken over (this sweep ran past its expiry): stopped before deleting more');
  }
}

export interface GcLockOptions {
  expiryMs: number;
  /** How long to wait before reading the lock back (other writers' puts land in between). */
  settleMs?: number;
  now?: () => number;
}

/** One sweep at a time: the store lock below, or an etcd lease (gc/etcd-gc-lock.ts) when etcd is configured. */
export interface SweepLock {
  /** Takes the lock or throws GcLockBusyError. */
  acquire(): Promise<void>;
  /** Throws GcLockLostError when the lock is no longer ours (checked before deleting). */
  check(): Promise<void>;
  release(): Promise<void>;
  /** When the lock ends if its holder stops renewing it now (the sweep intent expires with it). */
  readonly expiresAt: number;
}

export class GcLock implements SweepLock {
  private readonly owner = randomUUID();
  private readonly path = pathFor({ kind: 'gcLock' });
  private readonly now: () => number;
  private renewal: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly driver: StorageDriver,
    private readonly options: GcLockOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Takes the lock or throws GcLockBusyError; renews it every third of the expiry until `release`. */
  async acquire(): Promise<void> {
    const current = await this.read();
    if (current !== undefined && current.owner !== this.owner && current.expiresAt > this.now()) throw new GcLockBusyError(current);
    await this.write();
    await sleep(this.options.settleMs ?? 250);
    const after = await this.read();
    if (after?.owner !== this.owner) throw new GcLockBusyError(after ?? { host: 'unknown', pid: 0, expiresAt: this.now() });
    this.renewal = setInterval(() => {
      this.renew().catch(() => {
        this.lost = true;
      });
    }, Math.max(500, Math.floor(this.options.expiryMs / 3)));
    this.renewal.unref();
  }

  /** When the lock ends if not renewed (the sweep intent expires with it). */
  get expiresAt(): number {
    return this.now() + this.options.expiryMs;
  }

  /** Throws GcLockLostError when another sweeper now owns the lock (checked before each deleting step). */
  async check(): Promise<void> {
    if (this.lost) throw new GcLockLostError();
    const current = await this.read();
    if (current?.owner !== this.owner) {
      this.lost = true;
      throw new GcLockLostError();
    }
  }

  async release(): Promise<void> {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
    const current = await this.read().catch(() => undefined);
    if (current?.owner === this.owner) await deleteIfPresent(this.driver, this.path);
  }

  private async renew(): Promise<void> {
    const current = await this.read();
    if (current?.owner !== this.owner) throw new GcLockLostError();
    await this.write();
  }

  private async write(): Promise<void> {
    const body: LockBody = { owner: this.owner, host: hostname(), pid: process.pid, acquiredAt: new Date(this.now()).toISOString(), expiresAt: this.now() + this.options.expiryMs };
    await this.driver.putContent(this.path, Buffer.from(JSON.stringify(body)));
  }

  private async read(): Promise<LockBody | undefined> {
    try {
      const body = JSON.parse((await this.driver.getContent(this.path)).toString('utf8')) as LockBody;
      return typeof body.owner === 'string' && typeof body.expiresAt === 'number' ? body : undefined;
    } catch (err) {
      if (isPathNotFound(err) || err instanceof SyntaxError) return undefined;
      throw err;
    }
  }
}
