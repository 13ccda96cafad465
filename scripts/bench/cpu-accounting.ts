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

/** The children of `pid` from /proc/<pid>/task/<tid>/children; undefined when the kernel has no such file. */
function childrenFromTasks(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return []; // ended
  }
  const children: number[] = [];
  let readable = false;
  for (const task of tasks) {
    try {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
      readable = true;
      for (const child of listed.trim().split(/\s+/)) if (child !== '') children.push(Number(child));
    } catch {
      // the task ended, or the kernel lacks CONFIG_PROC_CHILDREN
    }
  }
  return readable || tasks.length === 0 ? children : undefined;
}

/** Every process's parent, from /proc/<pid>/stat (field 4): the way to children when task/<tid>/children is missing. */
function parentsOfAll(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
    } catch {
      // ended while listing
    }
  }
  return byParent;
}

/** `pid` and its descendants (a registry's http.workers are its children), breadth first, `pid` first. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  let byParent: Map<number, number[]> | undefined;
  for (let i = 0; i < tree.length; i++) {
    const member = tree[i]!;
    let children = byParent === undefined ? childrenFromTasks(member) : undefined;
    if (children === undefined) {
      byParent ??= parentsOfAll();
      children = byParent.get(member) ?? [];
    }
    tree.push(...children);
  }
  return tree;
}

/**
 * CPU seconds (user + system) of each process in `pid`'s tree, its reaped children included: a worker that
 * exits moves its time into its parent's cutime/cstime, so the tree's total never goes back. Empty once it has ended.
 */
export function processTreeCpuSeconds(pid: number): Map<number, number> {
  const perProcess = new Map<number, number>();
  for (const member of processTree(pid)) {
    const jiffies = processJiffies(member, true);
    if (jiffies > 0 || member === pid) perProcess.set(member, jiffies / USER_HZ);
  }
  return perProcess;
}

/** CPU seconds (user + system) a process and all its descendants (running or reaped) have used so far; 0 once it has ended. */
export function processCpuSeconds(pid: number): number {
  let sum = 0;
  for (const seconds of processTreeCpuSeconds(pid).values()) sum += seconds;
  return sum;
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
