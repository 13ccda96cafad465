// Makes the host's files match a choice: every enabled writer applies the target (or, for no choice, removes
// what it added), the state file records what each added, and dockerd is reloaded when its file changed, and
// the reload checked (DockerReloadCheck). A writer that asks to apply again after the reload (daemon.json's
// two-step removal) is applied again then. A failing writer is logged and retried at the next reconcile; it
// does not stop the others. A reload that did not take is retried in the background and shown in the state.

import type { Logger } from '@private-registry/core';
import { AgentStateStore, type AgentState } from './agent-state.js';
import type { DockerReloadCheck, ReloadOutcome } from './docker-reload-check.js';
import { expectedAfter } from './docker-reload-check.js';
import type { HostFileWriter, WriterName, WriterRecord } from './host-files/host-file-writer.js';
import { mirrorTargetFor, type MirrorTarget } from './host-files/mirror-target.js';
import { choiceKey } from './choice-key.js';
import type { RegistryChoice } from './registry-choice.js';

export interface ReconcilerOptions {
  writers: readonly HostFileWriter[];
  store: AgentStateStore;
  /** Reloads dockerd after the docker writer changed daemon.json (not in a dry run); absent for --docker-reload=none. */
  dockerReload?: DockerReloadCheck;
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

  /** Stops background reload retries. */
  close(): void {
    this.options.dockerReload?.stop();
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
    const again: HostFileWriter[] = [];
    for (const writer of writers) {
      const previous = this.state.writers[writer.name];
      try {
        const outcome = await writer.apply(target, previous, { dryRun });
        setRecord(next.writers, writer.name, outcome.record);
        const skipped = outcome.record?.['skipped'];
        if (skipped !== undefined && JSON.stringify(skipped) !== JSON.stringify(previous?.['skipped'])) {
          log.warn({ writer: writer.name, skipped }, 'left daemon.json keys alone: dockerd sets them with flags (writing them would stop dockerd from reloading or starting)');
        }
        if (outcome.again === true && !dryRun) again.push(writer);
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
    if (next.key !== this.state.key) {
      log.info({ registry: next.registryId, address: target?.address ?? null, reason, dryRun }, next.registryId === null ? 'no registry for this host' : 'registry chosen');
    }
    const reload = this.options.dockerReload;
    if (report.changed.includes('docker') && !dryRun && reload !== undefined) {
      const outcome = await reload.run(expectedAfter(this.state.writers.docker, next.writers.docker), (retried) => void this.afterRetry(retried));
      if (!outcome.ok) {
        report.failed.push('docker');
        errors.docker = outcome.error;
      }
    }
    for (const writer of again) {
      try {
        const outcome = await writer.apply(target, next.writers[writer.name]);
        setRecord(next.writers, writer.name, outcome.record);
        if (outcome.changed) log.info({ writer: writer.name, files: outcome.files }, 'restored');
      } catch (err) {
        report.failed.push(writer.name);
        errors[writer.name] = (err as Error).message;
        log.error({ writer: writer.name, err: (err as Error).message }, 'writer failed to restore; retried at the next reconcile');
      }
    }
    if (Object.keys(errors).length > 0) next.errors = errors;
    const stateChanged = report.changed.length > 0 || next.key !== this.state.key || JSON.stringify(next.errors) !== JSON.stringify(this.state.errors);
    if (stateChanged) next.updatedAt = new Date().toISOString();
    if (!dryRun && stateChanged) await this.options.store.save(next);
    this.state = next;
    return report;
  }

  /** A background retry of a reload: its outcome replaces the docker error in the state. */
  private async afterRetry(outcome: ReloadOutcome): Promise<void> {
    const errors = { ...this.state.errors };
    if (outcome.ok) delete errors.docker;
    else errors.docker = outcome.error;
    const next: AgentState = { ...this.state, updatedAt: new Date().toISOString() };
    if (Object.keys(errors).length > 0) next.errors = errors;
    else delete next.errors;
    this.state = next;
    await this.options.store.save(next).catch((err: Error) => this.options.log.error({ err: err.message }, 'could not save the state file'));
  }
}

function setRecord(records: AgentState['writers'], name: WriterName, record: WriterRecord | undefined): void {
  if (record === undefined) delete records[name];
  else records[name] = record;
}
