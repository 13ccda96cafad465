// The announced registries as this agent last read them from etcd. A full read of the prefix is the only way the
// snapshot changes: watch events and the periodic resync just ask for one. That keeps the snapshot correct after
// missed events, compaction and reconnects without tracking revisions by hand. A failed read keeps the last good
// snapshot: etcd being unreachable is not the registries being gone. Each read also says whether etcd's history
// was replaced (a cluster id that changed, a revision that went back: etcd wiped or restored from a snapshot),
// which leaves a running watch waiting for revisions that will not come for a long time.

import { idFromKey, parseRegistryRecord, type Logger, type RegistryRecord } from '@private-registry/core';
import type { Etcd3 } from 'etcd3';

export interface DirectorySnapshot {
  records: RegistryRecord[];
  /** etcd's revision at the read. */
  revision: string;
  /** etcd's cluster id at the read. */
  clusterId: string;
  readAt: Date;
  /** Set when etcd's history differs from the previous read's: why (cluster id changed, revision went back). */
  historyReplaced?: string;
}

export type ReadResult = { ok: true; snapshot: DirectorySnapshot } | { ok: false; error: Error };

export class RegistryDirectory {
  private last: DirectorySnapshot | undefined;
  private readonly warnedKeys = new Set<string>();

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** The last successful read, if any. */
  get snapshot(): DirectorySnapshot | undefined {
    return this.last;
  }

  async read(): Promise<ReadResult> {
    try {
      const response = await this.client.getAll().prefix(this.prefix).exec();
      const records: RegistryRecord[] = [];
      for (const kv of response.kvs) {
        const key = kv.key.toString('utf8');
        const record = this.decode(key, kv.value.toString('utf8'));
        if (record !== undefined) records.push(record);
      }
      records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const snapshot: DirectorySnapshot = {
        records,
        revision: String(response.header.revision),
        clusterId: String(response.header.cluster_id),
        readAt: new Date(),
      };
      const replaced = this.last === undefined ? undefined : historyReplaced(this.last, snapshot);
      if (replaced !== undefined) snapshot.historyReplaced = replaced;
      this.last = snapshot;
      return { ok: true, snapshot };
    } catch (err) {
      return { ok: false, error: err as Error };
    }
  }

  /** A key that is not ours or a record that does not parse is skipped, with one warning per key and value. */
  private decode(key: string, value: string): RegistryRecord | undefined {
    const id = idFromKey(this.prefix, key);
    let problem: string | undefined;
    let record: RegistryRecord | undefined;
    if (id === undefined) problem = 'the key is not <prefix><id>';
    else {
      try {
        record = parseRegistryRecord(value);
        if (record.id !== id) problem = `the record's id "${record.id}" differs from the key's "${id}"`;
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (problem === undefined) return record;
    const warnKey = `${key}\n${value}`;
    if (!this.warnedKeys.has(warnKey)) {
      this.warnedKeys.add(warnKey);
      this.log.warn({ key, problem }, 'ignoring a discovery key');
    }
    return undefined;
  }
}

/** Why etcd's history is not the one `before` was read from, or undefined when it is. */
export function historyReplaced(before: Pick<DirectorySnapshot, 'revision' | 'clusterId'>, after: Pick<DirectorySnapshot, 'revision' | 'clusterId'>): string | undefined {
  if (before.clusterId !== after.clusterId) return `etcd's cluster id changed from ${before.clusterId} to ${after.clusterId}`;
  // Revisions are 64-bit counters: compare them as integers, not as text or doubles.
  if (BigInt(after.revision) < BigInt(before.revision)) return `etcd's revision went back from ${before.revision} to ${after.revision}`;
  return undefined;
}
