// The agent's loop: etcd changes (watch events, reconnects, a periodic resync) trigger an evaluation; an
// evaluation reads the announced registries, chooses one for this host and hands the choice to the reconciler.
// Timing rules live here: bursts of events are coalesced; letting go of a registry that is no longer announced
// waits until it has been gone for `holdMs`; any other change (a move to a registry that appeared, or back from
// none) waits until the current state has stood for `dwellMs`, so a flapping registry does not churn the
// host's files; the first decision of a run is applied at once; a failed etcd read keeps the last good state
// and retries with backoff; a read that shows etcd's history replaced (wiped, restored) restarts the watch.
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
  /** How long the chosen registry must be gone (not announced) before the host lets go of it. */
  holdMs: number;
  /** How long the host's state stands before it moves to another registry or back from none (flap damping). */
  dwellMs: number;
  /** Full read and file repair even without events. */
  resyncMs: number;
}

export const DEFAULT_TIMINGS: AgentTimings = { settleMs: 50, holdMs: 1_000, dwellMs: 10_000, resyncMs: 30_000 };

/** What the agent tells its runtime, besides the reconciler's work. */
export interface AgentEvents {
  /** Once per run, when the host has made its first decision (a registry applied, or none after a full read). */
  decided?: (registryId: string | null) => void;
  /** Every applied change of choice after the first decision (a move). */
  moved?: (from: string | null, to: string | null) => void;
}

export interface HostAgentOptions {
  client: Etcd3;
  prefix: string;
  identity: HostIdentity;
  policy: ChoicePolicy;
  reconciler: Reconciler;
  log: Logger;
  timings?: Partial<AgentTimings>;
  events?: AgentEvents;
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
  /** When this run last applied a change of choice (dwellMs counts from it); undefined until there is one to hold. */
  private appliedAt: number | undefined;
  private hasDecided = false;

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
    if (result.snapshot.historyReplaced !== undefined) this.watch.restart(result.snapshot.historyReplaced);

    const choice = chooseRegistry(result.snapshot.records, this.options.identity, this.options.policy);
    const key = choiceKey(choice);
    const applied = reconciler.applied;
    if (key === applied.key) {
      this.pending = undefined;
      // Same choice: still make the files say so (repairs edits by others; writes nothing when they agree).
      await reconciler.apply(choice, 'resync');
      this.decided(applied.registryId);
      return;
    }
    const wait = this.waitBeforeChange(key, applied.registryId, result.snapshot.records.some((r) => r.id === applied.registryId));
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    this.pending = undefined;
    await reconciler.apply(choice, choice === null ? 'no registry announced' : `chose ${choice.record.id} (${choice.reason})`);
    const to = choice?.record.id ?? null;
    if (this.hasDecided) this.options.events?.moved?.(applied.registryId, to);
    // A first decision of "none" holds nothing back: the first registry announced afterwards applies at once.
    if (this.hasDecided || to !== null) this.appliedAt = Date.now();
    this.decided(to);
  }

  /**
   * Milliseconds until a change to `key` may be applied (0: now). A chosen registry that is gone is let go once
   * it has been gone for holdMs (the host must not keep pointing at a dead registry). Any other change, a move to
   * a registry that appeared or a return from none, waits until the current state has stood for dwellMs.
   */
  private waitBeforeChange(key: string, appliedId: string | null, appliedStillAnnounced: boolean): number {
    const now = Date.now();
    if (this.pending?.key !== key) this.pending = { key, since: now };
    if (appliedId !== null && !appliedStillAnnounced) return Math.max(0, this.pending.since + this.timings.holdMs - now);
    return this.appliedAt === undefined ? 0 : Math.max(0, this.appliedAt + this.timings.dwellMs - now);
  }

  private decided(registryId: string | null): void {
    if (this.hasDecided) return;
    this.hasDecided = true;
    this.options.events?.decided?.(registryId);
  }
}
