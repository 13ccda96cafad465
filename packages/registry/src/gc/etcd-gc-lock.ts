// The sweep lock in etcd (storage.gc.etcd): a key created only if absent, attached to a lease the client keeps
// alive; when the sweeper dies its lease expires after `expiryMs` and etcd deletes the key. Loaded only when
// etcd is configured, so a registry without it never loads the etcd client.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { GcEtcdConfig } from '../config/registry-config.js';
import { connectEtcd, type EtcdClient } from '../etcd/etcd-connect.js';
import { GcLockBusyError, GcLockLostError, type SweepLock } from './gc-lock.js';

type EtcdLease = ReturnType<EtcdClient['lease']>;

export class EtcdGcLock implements SweepLock {
  private readonly owner = JSON.stringify({ owner: randomUUID(), host: hostname(), pid: process.pid });
  private client: EtcdClient | undefined;
  private lease: EtcdLease | undefined;
  private lost = false;

  constructor(
    private readonly config: GcEtcdConfig,
    private readonly expiryMs: number,
  ) {}

  get expiresAt(): number {
    return Date.now() + this.expiryMs;
  }

  async acquire(): Promise<void> {
    const { config } = this;
    this.client = connectEtcd(config);
    try {
      this.lease = this.client.lease(Math.max(1, Math.ceil(this.expiryMs / 1000)), { autoKeepAlive: true });
      this.lease.on('lost', () => {
        this.lost = true;
      });
      const leaseId = await this.lease.grant();
      const result = await this.client.if(config.key, 'Create', '==', 0).then(this.client.put(config.key).value(this.owner).lease(leaseId)).commit();
      if (!result.succeeded) {
        const holder = parseHolder(await this.client.get(config.key).string());
        throw new GcLockBusyError({ host: holder.host, pid: holder.pid, expiresAt: Date.now() + this.expiryMs });
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async check(): Promise<void> {
    if (this.lost || this.client === undefined) throw new GcLockLostError();
    if ((await this.client.get(this.config.key).string()) !== this.owner) {
      this.lost = true;
      throw new GcLockLostError();
    }
  }

  async release(): Promise<void> {
    try {
      if (this.client !== undefined && !this.lost) await this.client.if(this.config.key, 'Value', '==', this.owner).then(this.client.delete().key(this.config.key)).commit();
    } finally {
      await this.close();
    }
  }

  private async close(): Promise<void> {
    await this.lease?.revoke().catch(() => undefined);
    this.client?.close();
    this.client = undefined;
    this.lease = undefined;
  }
}

function parseHolder(text: string | null): { host: string; pid: number } {
  try {
    const parsed = JSON.parse(text ?? '{}') as { host?: unknown; pid?: unknown };
    return { host: typeof parsed.host === 'string' ? parsed.host : 'unknown', pid: typeof parsed.pid === 'number' ? parsed.pid : 0 };
  } catch {
    return { host: 'unknown', pid: 0 };
  }
}
