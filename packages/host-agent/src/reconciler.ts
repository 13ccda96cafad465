// Makes the host's files match a choice: every enabled writer applies the target (or, for no choice, removes
// what it added), the state file records what each added, and dockerd is reloaded when its file changed.
// A failing writer is logged and retried at the next reconcile; it does not stop the others.

import type { Logger } from '@private-registry/core';
import { AgentStateStore, type AgentState } from './agent-state.js';
import type { HostFileWriter, WriterName, WriterRecord } from './host-files/host-file-writer.js';
import { mirrorTargetFor, type MirrorTarget } from './host-files/mirror-target.js';
import { choiceKey } from './choice-key.js';
import type { RegistryChoice } from './registry-choice.js';

export interface ReconcilerOptions {
  writers: readonly HostFileWriter[];
  store: AgentStateStore;
  /** Called after the docker writer changed daemon.json (not in a dry run); absent for --docker-reload=none. */
  reloadDocker?: { mode: string; reload: () => Promise<void> };
  log: Logger;
  dryRun: boolean;
}

export interface AppliedView {
  registryId: string | null;
  key: string;
  target: MirrorTarget | null;
}

export interface ApplyReport {
  changed: WriterName[];
  failed: WriterName[];
}

export class Reconciler {
  private constructor(
    private readonly options: ReconcilerOptions,
    private state: AgentState,
  ) {}

  static async open(options: ReconcilerOptions): Promise<Reconciler> {
    return new Reconciler(options, await options.store.load());
  }

  get applied(): AppliedView {
    return { registryId: this.state.registryId, key: this.state.key, target: this.state.target };
  }

  get current(): AgentState {
    return this.state;
  }

  async apply(choice: RegistryChoice | null, reason: string): Promise<ApplyReport> {
    const { writers, log, dryRun } = this.options;
    const target = choice === null ? null : mirrorTargetFor(choice.record);
    const next: AgentState = {
      registryId: choice?.record.id ?? null,
      key: choiceKey(choice),
      target,
      reason,
      writers: { ...this.state.writers },
      updatedAt: this.state.updatedAt,
    };
    const report: ApplyReport = { changed: [], failed: [] };
    const errors: Partial<Record<WriterName, string>> = {};
    for (const writer of writers) {
      const previous = this.state.writers[writer.name];
      try {
        const outcome = await writer.apply(target, previous, { dryRun });
        setRecord(next.writers, writer.name, outcome.record);
        if (outcome.changed) {
          report.changed.push(writer.name);
          log.info({ writer: writer.name, files: outcome.files, target: target?.address ?? null, dryRun }, dryRun ? 'would write' : 'wrote');
        }
      } catch (err) {
        report.failed.push(writer.name);
        errors[writer.name] = (err as Error).message;
        log.error({ writer: writer.name, err: (err as Error).message, code: (err as { code?: string }).code }, 'writer failed; keeping its previous state');
      }
    }
    if (Object.keys(errors).length > 0) next.errors = errors;
    if (next.key !== this.state.key) {
      log.info({ registry: next.registryId, address: target?.address ?? null, reason, dryRun }, next.registryId === null ? 'no registry for this host' : 'registry chosen');
    }
    const reload = this.options.reloadDocker;
    if (report.changed.includes('docker') && !dryRun && reload !== undefined) {
      try {
        await reload.reload();
        log.info({ mode: reload.mode }, 'dockerd asked to reload');
      } catch (err) {
        report.failed.push('docker');
        log.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'dockerd reload failed');
      }
    }
    const stateChanged = report.changed.length > 0 || next.key !== this.state.key || JSON.stringify(next.errors) !== JSON.stringify(this.state.errors);
    if (stateChanged) next.updatedAt = new Date().toISOString();
    if (!dryRun && stateChanged) await this.options.store.save(next);
    this.state = next;
    return report;
  }
}

function setRecord(records: AgentState['writers'], name: WriterName, record: WriterRecord | undefined): void {
  if (record === undefined) delete records[name];
  else records[name] = record;
}
