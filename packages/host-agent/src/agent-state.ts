// What the agent last applied, kept in a state file (default /var/lib/registry-host-agent/state.json under the
// root): the chosen registry and, per writer, the record of exactly what it added. It is what lets a restarted
// agent, or `status`, know which lines and entries are ours, and what cleanup takes away.

import type { MirrorTarget } from './host-files/mirror-target.js';
import type { WriterName, WriterRecord } from './host-files/host-file-writer.js';
import { readIfExists, writeFileAtomic } from './host-files/atomic-file.js';

export interface AgentState {
  /** The chosen registry's id, or null when the host points at none. */
  registryId: string | null;
  /** `id|url` of the choice (see choiceKey), or "none". */
  key: string;
  target: MirrorTarget | null;
  reason?: string;
  writers: Partial<Record<WriterName, WriterRecord>>;
  /** Writers that failed at the last apply, with their error. */
  errors?: Partial<Record<WriterName, string>>;
  /** When the agent last changed the host; null on a host it never changed. */
  updatedAt: string | null;
}

export const DEFAULT_STATE_FILE = '/var/lib/registry-host-agent/state.json';

export function emptyState(): AgentState {
  return { registryId: null, key: 'none', target: null, writers: {}, updatedAt: null };
}

export class AgentStateStore {
  constructor(readonly path: string) {}

  async load(): Promise<AgentState> {
    const text = await readIfExists(this.path);
    if (text === undefined) return emptyState();
    try {
      const parsed = JSON.parse(text) as AgentState;
      if (typeof parsed !== 'object' || parsed === null || typeof parsed.key !== 'string') return emptyState();
      return { ...emptyState(), ...parsed, writers: parsed.writers ?? {} };
    } catch {
      // A damaged state file must not stop the agent: it then owns nothing it cannot see in the files.
      return emptyState();
    }
  }

  async save(state: AgentState): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify(state, null, 2)}\n`);
  }
}
