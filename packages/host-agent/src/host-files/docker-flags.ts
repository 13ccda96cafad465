// Which daemon.json keys dockerd takes from its command line instead. dockerd refuses a configuration that sets
// a directive both as a flag and in daemon.json: a SIGHUP reload fails, and after a restart dockerd does not
// start at all. So before writing `registry-mirrors` or `insecure-registries`, the agent looks at the running
// dockerd's command line (/proc/<pid>/cmdline, by the pidfile) and at the files that set DOCKER_OPTS for the
// next start (systemd drop-ins and unit, /etc/default/docker, /etc/sysconfig/docker), and leaves alone a key that
// a flag sets.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostRoot } from './host-root.js';

export type DaemonKey = 'registry-mirrors' | 'insecure-registries';

const FLAG_OF: Record<DaemonKey, string> = { 'registry-mirrors': '--registry-mirror', 'insecure-registries': '--insecure-registry' };

/** Where the keys set by flags were found; empty when none is. */
export type FlagConflicts = Partial<Record<DaemonKey, string>>;

export interface DockerFlagSources {
  root: HostRoot;
  /** Host path of dockerd's pidfile. */
  pidFile: string;
  /** Where /proc is: the real one (the agent's container shares the host's pid namespace), not under --root. */
  procDir?: string;
}

/** Files that can carry dockerd flags for its next start (host paths; directories hold *.conf drop-ins). */
export const DOCKER_OPTION_FILES = ['/etc/default/docker', '/etc/sysconfig/docker', '/etc/systemd/system/docker.service'];
export const DOCKER_DROP_IN_DIRS = ['/etc/systemd/system/docker.service.d', '/run/systemd/system/docker.service.d'];

export async function detectFlagConflicts(sources: DockerFlagSources): Promise<FlagConflicts> {
  const conflicts: FlagConflicts = {};
  const note = (text: string, where: string): void => {
    for (const key of Object.keys(FLAG_OF) as DaemonKey[]) if (conflicts[key] === undefined && setsFlag(text, FLAG_OF[key])) conflicts[key] = `${FLAG_OF[key]} in ${where}`;
  };
  const cmdline = await runningCommandLine(sources);
  if (cmdline !== undefined) note(cmdline.args.join('\n'), `dockerd's command line (pid ${cmdline.pid})`);
  for (const path of DOCKER_OPTION_FILES) {
    const text = await readText(sources.root.path(path));
    if (text !== undefined) note(withoutComments(text), path);
  }
  for (const dir of DOCKER_DROP_IN_DIRS) {
    let names: string[];
    try {
      names = (await readdir(sources.root.path(dir))).filter((n) => n.endsWith('.conf')).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const text = await readText(join(sources.root.path(dir), name));
      if (text !== undefined) note(withoutComments(text), `${dir}/${name}`);
    }
  }
  return conflicts;
}

/** `--registry-mirror X`, `--registry-mirror=X` as a word of its own (not `--registry-mirrors-foo`). */
export function setsFlag(text: string, flag: string): boolean {
  return new RegExp(`(^|[\\s"'=])${flag.replace(/-/g, '\\-')}(=|\\s|$)`, 'm').test(text);
}

async function runningCommandLine(sources: DockerFlagSources): Promise<{ pid: number; args: string[] } | undefined> {
  const pidText = await readText(sources.root.path(sources.pidFile));
  const pid = Number(pidText?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  const raw = await readText(join(sources.procDir ?? '/proc', String(pid), 'cmdline'));
  if (raw === undefined || raw === '') return undefined;
  return { pid, args: raw.split('\0').filter((a) => a !== '') };
}

function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^\s*[#;]/.test(line))
    .join('\n');
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
