// Peak resident memory of a process while something runs, sampled from /proc/<pid>/status every 50 ms
// (VmHWM cannot be reset, so sampling is what isolates one push in a long-lived process).
import { readFileSync } from 'node:fs';
import { MB } from './statistics.js';
import { processTree } from './cpu-accounting.js';

function ownResidentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** RSS of a process and its descendants (a registry's http.workers); throws when the process itself has ended. */
export function residentBytes(pid: number): number {
  let total = ownResidentBytes(pid);
  for (const child of processTree(pid).slice(1)) {
    try {
      total += ownResidentBytes(child);
    } catch {
      // a worker that ended between the listing and the read
    }
  }
  return total;
}

/** Runs `work` while sampling; returns its result and the peak RSS seen, in MB. */
export async function withPeakRss<T>(pid: number, work: () => Promise<T>, intervalMs = 50): Promise<{ value: T; peakMB: number }> {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, residentBytes(pid));
    } catch {
      // The process ended mid-sample; the push itself will report the failure.
    }
  }, intervalMs);
  try {
    const value = await work();
    peak = Math.max(peak, residentBytes(pid));
    return { value, peakMB: peak / MB };
  } finally {
    clearInterval(timer);
  }
}
