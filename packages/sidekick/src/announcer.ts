// The sidekick's loop: every interval, probe the registry and renew the lease side by side, then bring etcd
// in line with what the probe said (announce while healthy, revoke when not). The first good probe announces;
// after a withdrawal it takes `healthyAfter` good probes in a row, taken every `recoveryIntervalMs` (a second,
// shorter than any crash loop's downtime worth noticing), so a registry that keeps crashing and restarting stays
// withdrawn instead of moving hosts back and forth; probes spaced a full interval apart could each land in a
// different short uptime and see a healthy registry. etcd failures never end the loop: it
// retries with backoff and logs each change of state once, not each attempt.

import { Backoff, serializeRegistryRecord, sleep, type BackoffOptions, type Logger, type RegistryRecord } from '@private-registry/core';
import type { KeyState, LeasedKey } from './leased-key.js';
import type { ProbeResult } from './registry-probe.js';
import { SidekickError } from './sidekick-error.js';

export interface AnnouncerTimings {
  /** Between rounds (probe + keepalive) while etcd answers. */
  intervalMs: number;
  /** Consecutive failed probes that withdraw an announced registry. */
  unhealthyAfter: number;
  /** Consecutive good probes that announce a withdrawn registry again; 1 unless told. */
  healthyAfter?: number;
  /** Between probes of a withdrawn registry that answers again; intervalMs unless told. */
  recoveryIntervalMs?: number;
  /** Retry delays while etcd fails; keep maxMs at most the interval so a lease is renewed as soon as etcd is back. */
  backoff: BackoffOptions;
  /** How long shutdown may spend revoking before leaving the key to its TTL. */
  stopTimeoutMs: number;
}

export interface Prober {
  probe(signal?: AbortSignal): Promise<ProbeResult>;
}

export interface AnnouncerOptions {
  leasedKey: LeasedKey;
  prober: Prober;
  /** The record for an announcement that begins at `startedAt`, given what the probe said. */
  buildRecord: (probe: ProbeResult, startedAt: Date) => RegistryRecord;
  log: Logger;
  timings: AnnouncerTimings;
}

type Health = 'unknown' | 'healthy' | 'unhealthy';

export class Announcer {
  private readonly leasedKey: LeasedKey;
  private readonly prober: Prober;
  private readonly buildRecord: AnnouncerOptions['buildRecord'];
  private readonly log: Logger;
  private readonly timings: AnnouncerTimings;
  private readonly backoff: Backoff;

  private health: Health = 'unknown';
  private failedProbes = 0;
  private goodProbes = 0;
  /** Whether the registry was ever found healthy (announced): only a re-announcement needs healthyAfter probes. */
  private everHealthy = false;
  /** What should be in etcd while healthy; undefined while withdrawn. */
  private record: RegistryRecord | undefined;
  /** The value last written by us, to tell our own update from someone else's change. */
  private writtenValue: string | undefined;
  /** When etcd started failing; undefined while it answers. */
  private etcdFailingSince: number | undefined;

  constructor(options: AnnouncerOptions) {
    this.leasedKey = options.leasedKey;
    this.prober = options.prober;
    this.buildRecord = options.buildRecord;
    this.log = options.log.child({ key: options.leasedKey.key });
    this.timings = options.timings;
    this.backoff = new Backoff(options.timings.backoff);
  }

  /** Runs until `signal` aborts, then revokes the lease (bounded by stopTimeoutMs). Never throws for etcd or probe failures. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const roundStart = Date.now();
      const [probe, renewed] = await Promise.all([this.prober.probe(signal), this.renew()]);
      if (signal.aborted) break;
      this.observe(probe);
      const reconciled = this.health === 'healthy' ? await this.announce(probe) : await this.withdraw('registry not answering');
      const etcdFailed = renewed === false || reconciled === false;
      const delay = etcdFailed ? this.backoff.next() : this.roundInterval() - (Date.now() - roundStart);
      if (!etcdFailed) this.backoff.reset();
      await sleep(Math.max(0, delay), signal);
    }
    await this.stop();
  }

  /** A withdrawn registry that was healthy once is probed more often: its uptime must be continuous. */
  private roundInterval(): number {
    const recovering = this.everHealthy && this.health === 'unhealthy' && this.goodProbes > 0;
    return recovering ? Math.min(this.timings.intervalMs, this.timings.recoveryIntervalMs ?? this.timings.intervalMs) : this.timings.intervalMs;
  }

  /** Keepalive of a held lease, in parallel with the probe. Undefined when there was nothing to renew. */
  private async renew(): Promise<boolean | undefined> {
    if (!this.leasedKey.holdsLease || this.record === undefined) return undefined;
    return this.keep(this.record);
  }

  private observe(probe: ProbeResult): void {
    if (probe.alive) {
      this.failedProbes = 0;
      this.goodProbes += 1;
      if (this.health === 'healthy') return;
      const needed = this.everHealthy ? (this.timings.healthyAfter ?? 1) : 1;
      if (this.goodProbes < needed) {
        if (this.goodProbes === 1) this.log.info({ healthyAfter: needed }, 'registry answers again; announcing it after more good probes in a row');
        return;
      }
      this.log.info({ status: probe.status, version: probe.version, elapsedMs: probe.elapsedMs }, 'registry answers');
      this.health = 'healthy';
      this.everHealthy = true;
      return;
    }
    this.goodProbes = 0;
    this.failedProbes += 1;
    if (this.health === 'unhealthy') {
      this.log.debug({ detail: probe.detail }, 'registry still not answering');
    } else if (this.health === 'unknown' || this.failedProbes >= this.timings.unhealthyAfter) {
      this.health = 'unhealthy';
      this.log.warn({ detail: probe.detail, failedProbes: this.failedProbes }, 'registry not answering');
    } else {
      this.log.warn({ detail: probe.detail, failedProbes: this.failedProbes, unhealthyAfter: this.timings.unhealthyAfter }, 'registry probe failed');
    }
  }

  /** Healthy: make sure our record is in etcd under a live lease. False when etcd failed. */
  private async announce(probe: ProbeResult): Promise<boolean> {
    if (this.record === undefined) {
      this.record = this.buildRecord(probe, new Date());
    } else if (probe.version !== undefined && probe.version !== this.record.version) {
      // The registry was upgraded in place between two probes: same announcement, new version.
      this.record = { ...this.record, version: probe.version };
    }
    if (this.leasedKey.holdsLease && serializeRegistryRecord(this.record) === this.writtenValue) return true;
    return this.keep(this.record);
  }

  /** Unhealthy or stopping: revoke the lease, which deletes the key. False when etcd failed (retried next round). */
  private async withdraw(reason: string): Promise<boolean> {
    this.record = undefined;
    if (!this.leasedKey.holdsLease && !this.leasedKey.revokePending) return true;
    try {
      const leaseId = await this.leasedKey.withdraw();
      this.etcdAnswered();
      this.writtenValue = undefined;
      this.log.info({ leaseId, reason }, 'withdrawn');
      return true;
    } catch (err) {
      this.etcdFailed(err);
      return false;
    }
  }

  /** One keep() of the lease and key, with what it means logged. False when etcd failed. */
  private async keep(record: RegistryRecord, afterLoss = false): Promise<boolean> {
    const value = serializeRegistryRecord(record);
    const ourUpdate = value !== this.writtenValue;
    try {
      const outcome = await this.leasedKey.keep(value);
      this.etcdAnswered();
      this.writtenValue = value;
      if (outcome.granted) {
        this.log.info({ leaseId: outcome.leaseId, record }, 'announced');
      } else if (outcome.repaired !== undefined && !(ourUpdate && outcome.repaired === 'with another value')) {
        this.log.warn({ leaseId: outcome.leaseId, found: outcome.repaired satisfies KeyState }, 'key restored');
      }
      return true;
    } catch (err) {
      if (err instanceof SidekickError && err.code === 'LEASE_LOST') {
        // etcd answered: the lease is gone (expired during an outage, or revoked by someone). The next
        // announce() grants a new one, in this same round when the registry is healthy.
        this.etcdAnswered();
        this.writtenValue = undefined;
        this.log.warn({ detail: err.message }, 'lease lost');
        return !afterLoss && this.health === 'healthy' && this.record !== undefined ? this.keep(this.record, true) : true;
      }
      this.etcdFailed(err);
      return false;
    }
  }

  private etcdAnswered(): void {
    if (this.etcdFailingSince === undefined) return;
    this.log.info({ downMs: Date.now() - this.etcdFailingSince, attempts: this.backoff.attempts }, 'etcd reachable again');
    this.etcdFailingSince = undefined;
  }

  private etcdFailed(err: unknown): void {
    const detail = err instanceof Error ? err.message : String(err);
    if (this.etcdFailingSince === undefined) {
      this.etcdFailingSince = Date.now();
      this.log.warn({ detail, leaseId: this.leasedKey.leaseId }, 'etcd unreachable');
    } else {
      this.log.debug({ detail }, 'etcd still unreachable');
    }
  }

  private async stop(): Promise<void> {
    const deadline = Date.now() + this.timings.stopTimeoutMs;
    while (this.leasedKey.holdsLease || this.leasedKey.revokePending) {
      if (await this.withdraw('stopping')) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        this.log.warn('could not revoke the lease before stopping; the key expires with its TTL');
        return;
      }
      await sleep(Math.min(left, this.backoff.next()));
    }
  }
}
