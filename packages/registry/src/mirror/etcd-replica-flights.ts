// Download claims in etcd (`proxy.etcd`): a key per digest under `<prefix>downloads/`, created only if absent
// and held by a lease of the downloading replica, revoked once the blob is stored or the download failed. A
// replica that finds the key waits for its deletion (a watch, and a look every second in case the watch misses
// it); a claimant that dies loses the key when its lease expires (TTL_SECONDS), and a waiter claims again.
// etcd unreachable: the replica downloads without asking (one warning, then it tries etcd again after
// OFF_FOR_MS) — a pull never fails because etcd does. Loaded only when `proxy.etcd` is configured.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '@private-registry/core';
import type { MirrorEtcdConfig } from '../config/registry-config.js';
import { connectEtcd, type EtcdClient } from '../etcd/etcd-connect.js';
import type { Digest } from '../oci/digest.js';
import { UNCOORDINATED, type ReplicaClaim, type ReplicaFlights } from './replica-flights.js';

/** A dead claimant's key goes after this long; waiters then claim again. */
const TTL_SECONDS = 10;
/** Deadline of each etcd request: a silent network must not hold a pull. */
const REQUEST_TIMEOUT_MS = 2000;
/** After etcd failed, downloads go ahead without it this long before it is asked again. */
const OFF_FOR_MS = 30_000;
/** How often a waiter looks whether the claim is gone, besides its watch. */
const LOOK_EVERY_MS = 1000;

type Lease = ReturnType<EtcdClient['lease']>;

export class EtcdReplicaFlights implements ReplicaFlights {
  private client: EtcdClient | undefined;
  private readonly owner = JSON.stringify({ owner: randomUUID(), host: hostname(), pid: process.pid });
  private offUntil = 0;
  private closed = false;
  private readonly waits = new Set<() => void>();

  constructor(
    private readonly config: MirrorEtcdConfig,
    private readonly log: Logger,
  ) {}

  async claim(digest: Digest): Promise<ReplicaClaim> {
    if (this.closed || Date.now() < this.offUntil) return UNCOORDINATED;
    const key = `${this.config.prefix}downloads/${digest.value}`;
    const client = (this.client ??= connectEtcd(this.config));
    // The deadline bounds the grant only (etcd3 leaves it out of the keepalives).
    const lease = client.lease(TTL_SECONDS, { autoKeepAlive: true, ...deadline() });
    // Set once the lease is the claim's (revoked by release) or revoked already; otherwise revoked at the end.
    let leaseHandled = false;
    try {
      const leaseId = await lease.grant();
      const result = await client.if(key, 'Create', '==', 0).then(client.put(key).value(this.owner).lease(leaseId)).options(deadline()).commit();
      if (result.succeeded) {
        leaseHandled = true;
        return { lead: true, release: () => revoke(lease) };
      }
      // Another replica holds it: our lease is not needed while we wait.
      leaseHandled = true;
      void revoke(lease);
      await this.waitGone(client, key, BigInt(result.header.revision));
      return { lead: false };
    } catch (err) {
      // At shutdown the waits end unanswered: nothing to warn about (the download, if any, is cancelled anyway).
      if (this.closed) return UNCOORDINATED;
      this.offUntil = Date.now() + OFF_FOR_MS;
      this.log.warn({ err: (err as Error).message, endpoints: this.config.endpoints, retryInMs: OFF_FOR_MS }, 'etcd did not answer: this replica downloads mirror blobs without asking the others for a while');
      return UNCOORDINATED;
    } finally {
      if (!leaseHandled) void revoke(lease);
    }
  }

  close(): void {
    this.closed = true;
    for (const stop of this.waits) stop();
    this.client?.close();
    this.client = undefined;
  }

  /** Resolves once `key` is deleted after `revision`; rejects when etcd stops answering meanwhile. */
  private waitGone(client: EtcdClient, key: string, revision: bigint): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let watcher: { cancel(): Promise<void> } | undefined;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        clearInterval(look);
        this.waits.delete(stop);
        watcher?.cancel().catch(() => undefined);
        if (err === undefined) resolve();
        else reject(err instanceof Error ? err : new Error(String(err)));
      };
      const stop = (): void => finish(new Error('the registry is shutting down'));
      this.waits.add(stop);
      client
        .watch()
        .key(key)
        .only('delete')
        .startRevision(String(revision + 1n))
        .create()
        .then((created) => {
          watcher = created;
          if (settled) void created.cancel().catch(() => undefined);
          else created.on('delete', () => finish());
        }, finish);
      const look = setInterval(() => {
        client
          .get(key)
          .options(deadline())
          .exists()
          .then((exists) => {
            if (!exists) finish();
          }, finish);
      }, LOOK_EVERY_MS);
      look.unref();
    });
  }
}

function deadline(): { deadline: number } {
  return { deadline: Date.now() + REQUEST_TIMEOUT_MS };
}

/** Ends a claim: the key goes with its lease. If etcd does not confirm, keepalives stop and it expires. */
async function revoke(lease: Lease): Promise<void> {
  try {
    await lease.revoke(deadline());
  } catch {
    lease.release();
  }
}
