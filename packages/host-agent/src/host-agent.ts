// The agent's loop: etcd changes (watch events, reconnects, a periodic resync) trigger an evaluation; an
// evaluation reads the announced registries, chooses one for this host and hands the choice to the reconciler.
// Timing rules live here: bursts of events are coalesced; taking a registry away or moving to another waits
// until the new choice has held for `holdMs` (a flapping key does not churn the host's files); a first registry
// is applied at once; a failed etcd read keeps the last good state and retries with backoff.

import { Backoff, type Logger } from '@private-registry/core';
import type { Etcd3 } from 'etcd3';
import type { HostIdentity } from './host-identity.js';
import { RegistryDirectory } from './registry-directory.js';
import { choiceKey } from './choice-key.js';
import { chooseRegistry, type ChoicePolicy } from './registry-choice.js';
import { RegistryWatch } from './registry-watch.js';
import type { Reconciler } from './reconciler.js';

export interface AgentTimings {
  /** Coalesces a burst of events into one evaluation. */
  settleMs: number;
  /** How long a removal or a move must hold before it is applied. */
  holdMs: number;
  /** Full read and file repair even without events. */
  resyncMs: number;
}

export const DEFAULT_TIMINGS: AgentTimings = { settleMs: 50, holdMs: 1_000, resyncMs: 30_000 };

export interface HostAgentOptions {
  client: Etcd3;
  prefix: string;
  identity: HostIdentity;
  policy: ChoicePolicy;
  reconciler: Reconciler;
  log: Logger;
  timings?: Partial<AgentTimings>;
}

interface PendingChange {
  key: string;
  since: number;
}

export class HostAgent {
  private readonly directory: RegistryDirectory;
  private readonly watch: RegistryWatch;
  private readonly timings: AgentTimings;
  // Reads are cheap: retrying every few seconds notices etcd's return quickly even on a big fleet.
  private readonly etcdBackoff = new Backoff({ initialMs: 500, maxMs: 3_000 });
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private pending: PendingChange | undefined;
  private etcdReachable: boolean | undefined;

  constructor(private readonly options: HostAgentOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.directory = new RegistryDirectory(options.client, options.prefix, options.log);
    this.watch = new RegistryWatch({ client: options.client, prefix: options.prefix, log: options.log, onChange: () => this.schedule(this.timings.settleMs) });
  }

  start(): void {
    this.watch.start();
    this.schedule(0);
    this.resyncTimer = setInterval(() => this.schedule(0), this.timings.resyncMs);
  }

  /** Stops watching; with `cleanup`, removes everything the agent added (unless a caller chose to keep it). */
  async stop(cleanup: boolean): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
    await this.watch.stop();
    await this.running;
    if (cleanup) await this.options.reconciler.apply(null, 'agent stopping');
  }

  /** One read and one reconcile, no watch (`--once`). Returns false when etcd could not be read. */
  async evaluateOnce(): Promise<boolean> {
    const result = await this.directory.read();
    if (!result.ok) {
      this.options.log.error({ err: result.error.message }, 'etcd unreachable; nothing changed');
      return false;
    }
    const choice = chooseRegistry(result.snapshot.records, this.options.identity, this.options.policy);
    await this.options.reconciler.apply(choice, 'once');
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    // An evaluation due sooner already covers this request.
    if (this.timer !== undefined && this.dueAt <= due) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }

  private run(): void {
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.evaluate()
      .catch((err: Error) => this.options.log.error({ err: err.message, code: (err as { code?: string }).code }, 'reconcile failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
  }

  private async evaluate(): Promise<void> {
    const { log, reconciler } = this.options;
    const result = await this.directory.read();
    if (!result.ok) {
      if (this.etcdReachable !== false) {
        log.warn({ err: result.error.message, keeping: reconciler.applied.registryId }, 'etcd unreachable; keeping the current state');
      }
      this.etcdReachable = false;
      this.schedule(this.etcdBackoff.next());
      return;
    }
    if (this.etcdReachable === false) log.info({ registries: result.snapshot.records.length }, 'etcd reachable again');
    this.etcdReachable = true;
    this.etcdBackoff.reset();

    const choice = chooseRegistry(result.snapshot.records, this.options.identity, this.options.policy);
    const key = choiceKey(choice);
    const applied = reconciler.applied;
    if (key === applied.key) {
      this.pending = undefined;
      // Same choice: still make the files say so (repairs edits by others; writes nothing when they agree).
      await reconciler.apply(choice, 'resync');
      return;
    }
    if (applied.registryId !== null) {
      const now = Date.now();
      if (this.pending?.key !== key) this.pending = { key, since: now };
      const waited = now - this.pending.since;
      if (waited < this.timings.holdMs) {
        this.schedule(this.timings.holdMs - waited);
        return;
      }
    }
    this.pending = undefined;
    await reconciler.apply(choice, choice === null ? 'no registry announced' : `chose ${choice.record.id} (${choice.reason})`);
  }
}
