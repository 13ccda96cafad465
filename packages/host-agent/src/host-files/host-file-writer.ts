// The contract between the reconciler and each host file: point the file at a target, or take back exactly
// what an earlier call added (its record, persisted by the reconciler), and say what the file holds now.

import type { MirrorTarget } from './mirror-target.js';

export type WriterName = 'environment' | 'docker' | 'containerd' | 'podman';

export const WRITER_NAMES: readonly WriterName[] = ['environment', 'docker', 'containerd', 'podman'];

/**
 * JSON-serialisable note of exactly what a writer added (and anything it replaced), persisted by the
 * reconciler in its state file and handed back on the next call, so removal takes away exactly what was
 * added, even after an agent restart. Every record has `path`: the host path it was written to.
 */
export type WriterRecord = Record<string, unknown>;

export interface WriteOutcome {
  /** Whether a file changed (or, in a dry run, would change). */
  changed: boolean;
  /** What is ours now; undefined when nothing is (after a removal). Hand it back on the next call. */
  record: WriterRecord | undefined;
  /** Paths touched (rooted, as on this machine): the files whose content changed or would change. */
  files: string[];
  /** Apply once more (null, this record) after the engine has reloaded: a removal in two steps. */
  again?: boolean;
}

export interface ApplyOptions {
  /** Compute and report, write nothing. */
  dryRun?: boolean;
}

export interface HostFileWriter {
  readonly name: WriterName;
  /**
   * Makes the host's file(s) point at `next`, or with null remove what `previous` says we added. Touches a
   * file only when its content changes. dryRun: compute and report, write nothing.
   */
  apply(next: MirrorTarget | null, previous: WriterRecord | undefined, options?: ApplyOptions): Promise<WriteOutcome>;
  /** What the files say now about our entries (for the `status` command). */
  inspect(previous: WriterRecord | undefined): Promise<Record<string, unknown>>;
}
