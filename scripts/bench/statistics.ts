// Small numeric helpers shared by the measures: medians, unit conversion, timing.
import { performance } from 'node:perf_hooks';

/** Decimal units throughout (like dd and openssl): 1 MB = 10^6 bytes. */
export const MB = 1_000_000;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function megabytesPerSecond(bytes: number, seconds: number): number {
  return bytes / MB / seconds;
}

/** Runs `work` and returns its result with the wall time in seconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
