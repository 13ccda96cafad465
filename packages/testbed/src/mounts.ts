// Mount points left inside a testbed directory (dockerd bind-mounts its data root, podman mounts shm):
// unmounted deepest first before the directory is removed, or rm would fail with EBUSY.

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Mount points at or below `dir`, deepest first, read from /proc/self/mountinfo. */
export function mountsUnder(dir: string): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    .map(unescapeMountPath)
    .filter((point) => point === dir || point.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Lazily unmounts everything under `dir`; returns what it unmounted. Synchronous so the exit hook can use it. */
export function unmountUnder(dir: string): string[] {
  const points = mountsUnder(dir);
  for (const point of points) {
    try {
      execFileSync('umount', ['-l', point], { stdio: 'ignore' });
    } catch {
      // Already gone (a parent's lazy unmount takes its children along).
    }
  }
  return points;
}

function unescapeMountPath(path: string): string {
  // mountinfo writes space, tab, newline and backslash as octal escapes.
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
