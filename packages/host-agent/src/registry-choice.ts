// Which announced registry this host uses: a pure function of the records, this host's identity and the policy.
// A registry on this host wins; then one in the preferred zone or with the preferred labels; then rendezvous
// hashing (highest sha256(host key + registry id)), which is stable, spreads hosts over the registries, and
// moves only the hosts whose registry went away.

import { createHash } from 'node:crypto';
import type { RegistryRecord } from '@private-registry/core';
import type { HostIdentity } from './host-identity.js';

export interface ChoicePolicy {
  preferLocal: boolean;
  /** Prefer registries announcing this zone (defaults to the host's own zone). */
  zone?: string;
  /** Prefer registries carrying every one of these labels. */
  labels?: Record<string, string>;
}

export type ChoiceReason = 'local' | 'preferred' | 'hashed';

export interface RegistryChoice {
  record: RegistryRecord;
  reason: ChoiceReason;
}

export function chooseRegistry(records: readonly RegistryRecord[], host: HostIdentity, policy: ChoicePolicy): RegistryChoice | null {
  if (records.length === 0) return null;
  if (policy.preferLocal) {
    const local = records.filter((record) => isOnHost(record, host));
    if (local.length > 0) return { record: highestScore(local, host), reason: 'local' };
  }
  const zone = policy.zone ?? host.zone;
  const preferred = records.filter((record) => matchesPreference(record, zone, policy.labels));
  if (preferred.length > 0 && (zone !== undefined || policy.labels !== undefined)) {
    return { record: highestScore(preferred, host), reason: 'preferred' };
  }
  return { record: highestScore(records, host), reason: 'hashed' };
}

/** Exact comparisons only: 10.0.0.1 must never match 10.0.0.10. */
export function isOnHost(record: RegistryRecord, host: HostIdentity): boolean {
  if (record.machineId !== undefined && host.machineId !== undefined) return record.machineId === host.machineId;
  if (host.addresses.includes(record.host)) return !isLoopback(record.host) || record.hostname === host.hostname;
  return record.hostname === host.hostname;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost';
}

function matchesPreference(record: RegistryRecord, zone: string | undefined, labels: Record<string, string> | undefined): boolean {
  if (zone !== undefined && record.zone !== zone) return false;
  if (labels !== undefined) {
    for (const [key, value] of Object.entries(labels)) if (record.labels?.[key] !== value) return false;
  }
  return true;
}

function highestScore(records: readonly RegistryRecord[], host: HostIdentity): RegistryRecord {
  let best: RegistryRecord | undefined;
  let bestScore = '';
  for (const record of records) {
    const score = createHash('sha256').update(`${host.key}\n${record.id}`).digest('hex');
    // Ties are impossible in practice; the id breaks them anyway so the choice never depends on order.
    if (best === undefined || score > bestScore || (score === bestScore && record.id < best.id)) {
      best = record;
      bestScore = score;
    }
  }
  return best as RegistryRecord;
}
