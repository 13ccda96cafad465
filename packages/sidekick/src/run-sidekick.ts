// Puts the pieces together for `registry-sidekick run`: logger, registry probe, etcd client, leased key and
// announcer, from checked options. Everything that can be wrong with the options fails here, before the loop.

import { createLogger, type Logger } from '@private-registry/core';
import { createEtcdClient, describeEtcdSettings } from '@private-registry/core/etcd';
import { Announcer, type AnnouncerTimings } from './announcer.js';
import { buildRegistryRecord, readMachineFacts, type MachineFacts } from './announcement.js';
import { LeasedKey } from './leased-key.js';
import { RegistryProbe } from './registry-probe.js';
import { RECOVERY_INTERVAL_MS, type SidekickOptions } from './sidekick-options.js';
import { SIDEKICK_VERSION } from './sidekick-version.js';

export interface RunSidekickDependencies {
  /** Aborting it stops the loop; the lease is revoked before run resolves. */
  signal: AbortSignal;
  log?: Logger;
  machine?: MachineFacts;
}

/** The announcer's timings that follow from the options (tests build their own). */
export function timingsFor(options: SidekickOptions): AnnouncerTimings {
  return {
    intervalMs: options.intervalMs,
    unhealthyAfter: options.unhealthyAfter,
    healthyAfter: options.healthyAfter,
    recoveryIntervalMs: RECOVERY_INTERVAL_MS,
    backoff: { initialMs: Math.min(200, options.intervalMs), maxMs: options.intervalMs },
    stopTimeoutMs: Math.min(3_000, options.ttlSeconds * 1000),
  };
}

/** Runs until the signal aborts; resolves once the lease is revoked (or left to its TTL when etcd is away). */
export async function runSidekick(options: SidekickOptions, dependencies: RunSidekickDependencies): Promise<void> {
  const log = dependencies.log ?? createLogger({ level: options.logLevel, base: { service: 'registry-sidekick', version: SIDEKICK_VERSION } });
  const probe = new RegistryProbe({
    registryUrl: options.registryUrl,
    timeoutMs: options.probeTimeoutMs,
    insecure: options.registryInsecure,
    ...(options.registryCaFile === undefined ? {} : { caFile: options.registryCaFile }),
  });
  const machine = dependencies.machine ?? readMachineFacts();
  const client = createEtcdClient(options.etcd);
  try {
    const announcer = new Announcer({
      leasedKey: new LeasedKey({ client, key: options.key, ttlSeconds: options.ttlSeconds, requestTimeoutMs: options.intervalMs }),
      prober: probe,
      buildRecord: (result, startedAt) => buildRegistryRecord(options, machine, result.version ?? SIDEKICK_VERSION, startedAt),
      log,
      timings: timingsFor(options),
    });
    log.info(
      {
        key: options.key,
        probe: probe.target,
        advertise: options.advertise,
        ttlSeconds: options.ttlSeconds,
        intervalMs: options.intervalMs,
        probeTimeoutMs: options.probeTimeoutMs,
        unhealthyAfter: options.unhealthyAfter,
        healthyAfter: options.healthyAfter,
        etcd: describeEtcdSettings(options.etcd),
      },
      'sidekick started',
    );
    await announcer.run(dependencies.signal);
    log.info('sidekick stopped');
  } finally {
    client.close();
  }
}
