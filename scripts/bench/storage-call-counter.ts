// Counts the storage driver calls our registry makes, from the metrics of its debug listener
// (registry_storage_operation_duration_seconds_count by operation): read before and after a request, the
// difference is what that request asked of the store. Only for diagnosis: the timed runs go without the listener.
import { freePort } from './registry-process.js';

export type StorageCalls = Map<string, number>;

const COUNT = /^registry_storage_operation_duration_seconds_count\{([^}]*)\} (\d+(?:\.\d+)?(?:e\+?\d+)?)$/;

/** REGISTRY_* variables that turn the debug listener (with its metrics) on, at a free port, and its metrics URL. */
export async function debugListenerEnv(): Promise<{ env: Record<string, string>; metricsUrl: string }> {
  const port = await freePort();
  return {
    env: { REGISTRY_HTTP_DEBUG_ADDR: `127.0.0.1:${port}`, REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED: 'true' },
    metricsUrl: `http://127.0.0.1:${port}/metrics`,
  };
}

/** Storage calls so far, by operation (list, stat, getContent, …). */
export async function storageCalls(metricsUrl: string): Promise<StorageCalls> {
  const response = await fetch(metricsUrl);
  if (response.status !== 200) throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  const calls: StorageCalls = new Map();
  for (const line of (await response.text()).split('\n')) {
    const match = COUNT.exec(line);
    if (match === null) continue;
    const operation = /operation="([^"]*)"/.exec(match[1] ?? '')?.[1] ?? 'unknown';
    calls.set(operation, (calls.get(operation) ?? 0) + Number(match[2]));
  }
  return calls;
}

/** The calls made between two readings. */
export function callsBetween(before: StorageCalls, after: StorageCalls): StorageCalls {
  const made: StorageCalls = new Map();
  for (const [operation, count] of after) {
    const delta = count - (before.get(operation) ?? 0);
    if (delta > 0) made.set(operation, delta);
  }
  return made;
}

export function totalCalls(calls: StorageCalls): number {
  let total = 0;
  for (const count of calls.values()) total += count;
  return total;
}

/** "2,103 (getContent 1,001, stat 1,001, list 101)": the most frequent operation first. */
export function describeCalls(calls: StorageCalls): string {
  const parts = [...calls].sort((a, b) => b[1] - a[1]).map(([operation, count]) => `${operation} ${count.toLocaleString('en')}`);
  return `${totalCalls(calls).toLocaleString('en')}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
