// Which process this is under http.workers: a worker knows its index (kept across a restart of that worker) and
// how many there are, from the environment its primary forked it with. Undefined: a single process, or the primary.
import cluster from 'node:cluster';
import { mallocTunables } from '../malloc-tuning.js';

/** Internal, not a configuration override (those are REGISTRY_*). */
export const WORKER_ENV = 'PRIVATE_REGISTRY_WORKER';

export interface WorkerRole {
  /** 0..count-1; worker 0 also runs the store's housekeeping (upload purge, garbage collection, cache eviction). */
  index: number;
  count: number;
}

export function workerRole(env: NodeJS.ProcessEnv = process.env): WorkerRole | undefined {
  if (!cluster.isWorker) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(env[WORKER_ENV] ?? '');
  if (match === null) return undefined;
  return { index: Number(match[1]), count: Number(match[2]) };
}

/** What a worker is forked with, on top of the primary's environment: its role, and glibc's malloc tuned. */
export function workerEnv(role: WorkerRole, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { [WORKER_ENV]: `${role.index}/${role.count}`, GLIBC_TUNABLES: mallocTunables(env['GLIBC_TUNABLES']) };
}

/** The process that runs housekeeping: a single process, or worker 0. */
export function runsHousekeeping(role: WorkerRole | undefined): boolean {
  return role === undefined || role.index === 0;
}
