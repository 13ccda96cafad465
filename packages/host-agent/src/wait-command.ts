// `registry-host-agent wait`: blocks until the agent on this host has made its first decision (its ready file
// exists), so a unit's `ExecStartPre=` can run before `docker pull ${DOCKER_REPO}...` reads /etc/environment.
// It needs no etcd: the agent's mark is the answer. Exit 0 when decided, 1 on timeout, 2 on bad flags.

import { statSync } from 'node:fs';
import { CodedError, sleep } from '@private-registry/core';
import { Option, type Command } from 'commander';
import { HostRoot } from './host-files/host-root.js';
import { DEFAULT_READY_FILE, ReadyFile, type ReadyMark } from './ready-file.js';

export interface WaitOptions {
  root: string;
  readyFile: string;
  timeoutMs: number;
  /** How often the file is looked at. */
  pollMs: number;
}

export function addWaitFlags(command: Command): Command {
  return command
    .addOption(new Option('--root <dir>', 'root every host path under DIR (the host at /host in a container)').env('HOST_AGENT_ROOT').default('/'))
    .addOption(new Option('--ready-file <path>', "the agent's ready file (under --root)").env('HOST_AGENT_READY_FILE').default(DEFAULT_READY_FILE))
    .addOption(new Option('--timeout <duration>', 'give up after this long (30s, 500ms, 2m; 0 waits forever)').default('30s'));
}

export function waitOptionsFromFlags(flags: Record<string, unknown>): WaitOptions {
  const root = String(flags['root'] ?? '/');
  const readyFile = String(flags['readyFile'] ?? DEFAULT_READY_FILE);
  if (!root.startsWith('/')) throw new CodedError('OPTION_INVALID', `--root "${root}" must be an absolute path`);
  if (!readyFile.startsWith('/')) throw new CodedError('OPTION_INVALID', `--ready-file "${readyFile}" must be an absolute path (it is taken under --root)`);
  try {
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new CodedError('OPTION_INVALID', `--root "${root}" is not an existing directory`);
  }
  return { root, readyFile, timeoutMs: parseTimeout(String(flags['timeout'] ?? '30s')), pollMs: 100 };
}

/** Resolves with the mark once there is one, or undefined when the timeout passed first. */
export async function waitForDecision(options: WaitOptions): Promise<ReadyMark | undefined> {
  const file = new ReadyFile(new HostRoot(options.root).path(options.readyFile));
  const deadline = options.timeoutMs === 0 ? Infinity : Date.now() + options.timeoutMs;
  for (;;) {
    const mark = await file.read();
    if (mark !== undefined) return mark;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(options.pollMs, left));
  }
}

/** `30s`, `500ms`, `2m`, or plain seconds. */
export function parseTimeout(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (match === null) throw new CodedError('OPTION_INVALID', `--timeout "${text}" is not a duration such as 30s, 500ms or 2m`);
  const unit = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(match[1]) * unit);
}
