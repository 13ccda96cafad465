// Who this host is, for choosing a registry: its host name, machine id and addresses. A registry whose record
// names any of them runs on this host. Flags override what the machine reports (containers see their own view).

import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';

export interface HostIdentity {
  hostname: string;
  machineId?: string;
  /** Every address of this host as it would appear in a record's `host` (no brackets, no zone index). */
  addresses: string[];
  /** The stable key this host's choice hashes with: the machine id, else the host name. */
  key: string;
  zone?: string;
}

export interface HostIdentityOverrides {
  hostname?: string;
  machineId?: string;
  addresses?: string[];
  zone?: string;
  /** Where /etc/machine-id is read from (rooted by the caller). */
  machineIdPath?: string;
}

export function detectHostIdentity(overrides: HostIdentityOverrides = {}): HostIdentity {
  const name = overrides.hostname ?? hostname();
  const machineId = overrides.machineId ?? readMachineId(overrides.machineIdPath ?? '/etc/machine-id');
  const addresses = overrides.addresses ?? localAddresses();
  const identity: HostIdentity = { hostname: name, addresses, key: machineId ?? name };
  if (machineId !== undefined) identity.machineId = machineId;
  if (overrides.zone !== undefined) identity.zone = overrides.zone;
  return identity;
}

function localAddresses(): string[] {
  const found = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) found.add(info.address.replace(/%.*$/, ''));
  }
  return [...found].sort();
}

function readMachineId(path: string): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}
