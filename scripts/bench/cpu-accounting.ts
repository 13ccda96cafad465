// The machine is shared (other builds and tests run beside the bench): measures how much CPU went
// to processes other than the bench, its children and the registries during a run, and waits for a
// quiet moment before each run.
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from './statistics.js';

interface CpuSnapshot {
  /** Jiffies the whole machine spent busy (steal included: the hypervisor took it from us). */
  machineBusy: number;
  machineTotal: number;
  /** Jiffies of the bench (with its exited, waited-for children such as wrk) and of the given processes. */
  accounted: number;
}

function machineJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

function processJiffies(pid: number | 'self', withChildren: boolean): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const own = (fields[11] ?? 0) + (fields[12] ?? 0);
    return withChildren ? own + (fields[13] ?? 0) + (fields[14] ?? 0) : own;
  } catch {
    return 0; // the process has ended
  }
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux we run). */
const USER_HZ = 100;

/** `pid` and its descendants (a registry's http.workers are its children), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // ended
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child !== '') tree.push(Number(child));
      } catch {
        // the task ended
      }
    }
  }
  return tree;
}

/** CPU seconds (user + system) a process and its running descendants have used so far; 0 once it has ended. */
export function processCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, member) => sum + processJiffies(member, false), 0) / USER_HZ;
}

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  const machine = machineJiffies();
  const accounted = processJiffies('self', true) + pids.reduce((sum, pid) => sum + processCpuSeconds(pid) * USER_HZ, 0);
  return { machineBusy: machine.busy, machineTotal: machine.total, accounted };
}

/** Share of the machine's CPU capacity (0..1) used by anything else between two snapshots. */
export function otherCpuShare(before: CpuSnapshot, after: CpuSnapshot): number {
  const total = after.machineTotal - before.machineTotal;
  if (total <= 0) return 0;
  const other = after.machineBusy - before.machineBusy - (after.accounted - before.accounted);
  return Math.max(0, Math.min(1, other / total));
}

/**
 * Waits (at most maxWaitMs) until the machine is nearly idle: the registries are idle between runs,
 * so whatever is busy then is someone else. Returns the last busy share seen.
 */
export async function waitForQuiet(pids: readonly number[], threshold = 0.15, maxWaitMs = 30_000): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let share = 1;
  do {
    const before = cpuSnapshot(pids);
    await sleep(500);
    const after = cpuSnapshot(pids);
    const total = after.machineTotal - before.machineTotal;
    share = total > 0 ? (after.machineBusy - before.machineBusy) / total : 0;
    if (share < threshold) return share;
  } while (Date.now() < deadline);
  return share;
}
