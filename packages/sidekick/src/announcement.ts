// What the sidekick announces: the discovery record for this registry, built from the options, the
// machine it runs on and what the registry's probe said about itself.

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { registryUrl, type RegistryRecord } from '@private-registry/core';
import type { SidekickOptions } from './sidekick-options.js';

/** Facts about the announcing machine, gathered once at start (tests pass their own). */
export interface MachineFacts {
  hostname: string;
  machineId?: string;
}

export function readMachineFacts(machineIdFile = '/etc/machine-id'): MachineFacts {
  const facts: MachineFacts = { hostname: hostname() };
  try {
    const id = readFileSync(machineIdFile, 'utf8').trim();
    if (/^[A-Za-z0-9-]{1,128}$/.test(id)) facts.machineId = id;
  } catch {
    // No machine id (a container, a non-systemd host): the record simply has none.
  }
  return facts;
}

export type AnnouncementOptions = Pick<SidekickOptions, 'id' | 'advertise' | 'scheme' | 'zone' | 'labels'>;

/** The record for one announcement; `startedAt` is when that announcement began. */
export function buildRegistryRecord(options: AnnouncementOptions, machine: MachineFacts, version: string, startedAt: Date): RegistryRecord {
  const { host, port } = options.advertise;
  const record: RegistryRecord = {
    id: options.id,
    url: registryUrl(options.scheme, host, port),
    scheme: options.scheme,
    host,
    port,
    hostname: machine.hostname,
    version,
    startedAt: startedAt.toISOString(),
  };
  if (machine.machineId !== undefined) record.machineId = machine.machineId;
  if (options.zone !== undefined) record.zone = options.zone;
  if (Object.keys(options.labels).length > 0) record.labels = { ...options.labels };
  return record;
}
