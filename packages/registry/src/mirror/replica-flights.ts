// The mirror's one-download-per-blob across replicas sharing a store (several hosts on one bucket): before a
// replica downloads a blob it claims the digest; a replica that finds it claimed waits until the claimant is
// done and then serves the blob from the store. The claims live in etcd (etcd-replica-flights.ts, `proxy.etcd`);
// without it every replica downloads for itself (still once per replica, across its workers).
import type { Digest } from '../oci/digest.js';

export type ReplicaClaim =
  /** Ours to download; `release` once the blob is stored (or the download failed). */
  | { lead: true; release: () => Promise<void> }
  /** Another replica downloaded it and has finished (stored, or failed: look in the store). */
  | { lead: false };

export interface ReplicaFlights {
  /** Claims `digest`, or waits while another replica holds the claim. Never throws: trouble means "lead". */
  claim(digest: Digest): Promise<ReplicaClaim>;
  close(): void;
}

/** The claim of a replica that cannot ask the others: it downloads, and there is nothing to release. */
export const UNCOORDINATED: ReplicaClaim = { lead: true, release: () => Promise.resolve() };
