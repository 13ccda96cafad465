// Shared by the host file tests: a fresh root per test, targets, and a file's identity (inode, mtime, bytes)
// to prove a second apply left it untouched.

import { readdir, readFile, stat } from 'node:fs/promises';
import { readLogLines, tempDir } from '@private-registry/testbed';
import { HostRoot } from '../../src/host-files/host-root.js';
import type { MirrorTarget } from '../../src/host-files/mirror-target.js';

export async function freshRoot(): Promise<HostRoot> {
  return new HostRoot((await tempDir('host-files')).path);
}

export function httpTarget(host: string, port = 5000): MirrorTarget {
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return { address, url: `http://${address}`, scheme: 'http' };
}

export function httpsTarget(host: string, port = 5000): MirrorTarget {
  return { address: `${host}:${port}`, url: `https://${host}:${port}`, scheme: 'https' };
}

export interface FileIdentity {
  ino: bigint;
  mtimeNs: bigint;
  content: string;
}

export async function fileIdentity(path: string): Promise<FileIdentity> {
  const info = await stat(path, { bigint: true });
  return { ino: info.ino, mtimeNs: info.mtimeNs, content: await readFile(path, 'latin1') };
}

/** Leftover temp files (`.name.PID.RANDOM.tmp`) in a directory. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.tmp'));
}

/** A record as the reconciler hands it back after an agent restart: through JSON and back. */
export function viaStateFile<T>(record: T): T {
  return JSON.parse(JSON.stringify(record)) as T;
}

export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
}

/** The requests our registry logged (pino JSON lines, `msg: "request"`) after `offset`. */
export async function registryRequestsSince(logFile: string, offset: number): Promise<LoggedRequest[]> {
  const requests: LoggedRequest[] = [];
  for (const line of await readLogLines(logFile, offset)) {
    let entry: Partial<LoggedRequest> & { msg?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.msg === 'request' && typeof entry.url === 'string' && typeof entry.method === 'string') {
      requests.push({ method: entry.method, url: entry.url, status: Number(entry.status) });
    }
  }
  return requests;
}

/** Polls `read` until `accept` says yes; returns the last value read. */
export async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
