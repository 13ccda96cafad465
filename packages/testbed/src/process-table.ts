// What /proc says about processes: whether a PID is still alive (a zombie is not), and which processes still
// use a testbed directory — the daemons' grandchildren (containerd, shims, conmon, container processes) that
// are not in the process group we started, found by the unique temp path in their command line, root or cwd.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== 'Z' && state !== 'X' && state !== 'x';
}

/** Live members of process group `pgid`. */
export function pidsInGroup(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== undefined && Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/**
 * PIDs (other than ours) whose command line mentions `dir`, or whose root or cwd lies inside it, together
 * with all their descendants: a container's processes (children of conmon or a containerd shim) show "/"
 * as their root from here, so they are found through their parent.
 */
export function pidsUsingDirectory(dir: string): number[] {
  const inside = (path: string): boolean => path === dir || path.startsWith(`${dir}/`);
  const table = processTable();
  const found = new Set<number>();
  for (const pid of table.keys()) {
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const root = safeReadlink(`/proc/${pid}/root`);
      const cwd = safeReadlink(`/proc/${pid}/cwd`);
      if (cmdline.some((arg) => mentions(arg, dir)) || (root !== undefined && inside(root)) || (cwd !== undefined && inside(cwd))) found.add(pid);
    } catch {
      // The process ended while we looked: nothing to kill.
    }
  }
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of table) {
      if (!found.has(pid) && found.has(ppid) && pid !== process.pid) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Live (non-zombie) processes and their parents. */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== undefined && fields[0] !== 'Z' && fields[0] !== 'X') table.set(Number(entry), Number(fields[1]));
  }
  return table;
}

/** /proc/PID/stat from the state field on (state, ppid, pgrp, ...); undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Sends `signal` to each PID, ignoring those already gone. */
export function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: already gone.
    }
  }
}

/** Waits until none of `pids` is alive; false if some still are after `timeoutMs`. */
export async function waitForPidsToExit(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!pids.some(isAlive)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Stops every process still using `dir`: SIGTERM, then SIGKILL after `graceMs`. Repeats a few times, since
 * killing a shim can leave its container's processes behind.
 */
export async function killProcessesUsingDirectory(dir: string, graceMs = 500): Promise<number[]> {
  const killed: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const pids = pidsUsingDirectory(dir);
    if (pids.length === 0) break;
    killed.push(...pids);
    signalPids(pids, 'SIGTERM');
    if (!(await waitForPidsToExit(pids, graceMs))) {
      signalPids(pids, 'SIGKILL');
      await waitForPidsToExit(pids, 2_000);
    }
  }
  return killed;
}

/** The exit-hook version: SIGKILL at once, no waiting. */
export function killProcessesUsingDirectorySync(dir: string): void {
  signalPids(pidsUsingDirectory(dir), 'SIGKILL');
}

/** True when `arg` names `dir` itself or a path below it (not a sibling that merely shares the prefix). */
function mentions(arg: string, dir: string): boolean {
  return arg.endsWith(dir) || arg.includes(`${dir}/`) || arg.includes(`${dir}:`) || arg.includes(`${dir},`);
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
