// The agent's "this host has decided" signal: a small file (default /run/registry-host-agent/ready, on a tmpfs
// so a reboot clears it) written once per run at the first decision and removed when the agent stops.
// `registry-host-agent wait` watches it, so a unit can start only once DOCKER_REPO says what it will say.

import { readIfExists, removeFile, writeFileAtomic } from './host-files/atomic-file.js';

export const DEFAULT_READY_FILE = '/run/registry-host-agent/ready';

export interface ReadyMark {
  /** The agent's process id (as it sees it: inside a container, that namespace's). */
  pid: number;
  /** The registry chosen at the first decision, or null: none announced after a full read. */
  registryId: string | null;
  decidedAt: string;
}

export class ReadyFile {
  constructor(readonly path: string) {}

  async mark(registryId: string | null): Promise<void> {
    const mark: ReadyMark = { pid: process.pid, registryId, decidedAt: new Date().toISOString() };
    await writeFileAtomic(this.path, `${JSON.stringify(mark)}\n`);
  }

  /** The mark, or undefined while there is none (or it is being replaced). */
  async read(): Promise<ReadyMark | undefined> {
    const text = await readIfExists(this.path);
    if (text === undefined) return undefined;
    try {
      const mark = JSON.parse(text) as ReadyMark;
      return typeof mark === 'object' && mark !== null && typeof mark.decidedAt === 'string' ? mark : undefined;
    } catch {
      return undefined;
    }
  }

  async clear(): Promise<void> {
    await removeFile(this.path);
  }
}
