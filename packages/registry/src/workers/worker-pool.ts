// The primary's workers (http.workers): forks them, worker 0 first (it does the store's one-time setup, such as
// the first token signing key, before anyone else could race it), waits until each serves, restarts one that
// dies (the same index, with a growing pause if it keeps dying), and at shutdown asks all of them to drain.
import cluster, { type Worker } from 'node:cluster';
import { CodedError, type Logger } from '@private-registry/core';
import { isRegistryMessage, type PrimaryMessage, type WorkerMessage, type WorkerVars } from './worker-messages.js';
import { workerEnv } from './worker-role.js';
import { askWorker } from './worker-request.js';

/** A worker that died before it served: the registry cannot start (the worker said why on stderr). */
export class WorkerStartError extends CodedError {
  constructor(
    readonly index: number,
    readonly exitCode: number,
    /** The signal that ended it, if one did (SIGTERM from systemd or a terminal reaching the whole group). */
    readonly signal: string | null,
  ) {
    super('WORKER_START_FAILED', `worker ${index} ${signal === null ? `exited with code ${exitCode}` : `was killed by ${signal}`} before it was serving`);
  }
}

export interface WorkerPoolOptions {
  count: number;
  /** How long a drain may take before the worker is killed (http.draintimeout plus a margin). */
  stopTimeoutMs: number;
  log: Logger;
  /** Every registry:* message a worker sends (except ready, which the pool handles). */
  onMessage: (index: number, message: WorkerMessage) => void;
  /** A worker is gone (exited, crashed, killed): whatever it held for others must be released. */
  onExit?: (index: number) => void;
}

const VARS_TIMEOUT_MS = 1_000;
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A worker that lived this long before it died resets the restart pause. */
const STABLE_MS = 60_000;

interface Slot {
  worker: Worker;
  ready: boolean;
  startedAt: number;
  /** How it ended: its exit code, or the signal that killed it. */
  exited: Promise<{ code: number | null; signal: string | null }>;
}

export class WorkerPool {
  private readonly slots = new Map<number, Slot>();
  private readonly pauses = new Map<number, number>();
  private readonly restarts = new Set<NodeJS.Timeout>();
  private stopping = false;
  private nextVarsId = 0;
  /** Set once every worker served: from then on a worker that dies is replaced. */
  private started = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Resolves once every worker serves; rejects with WorkerStartError when one exits before. */
  async start(): Promise<void> {
    await this.fork(0);
    const rest: Array<Promise<void>> = [];
    for (let index = 1; index < this.options.count; index += 1) rest.push(this.fork(index));
    await Promise.all(rest);
    this.started = true;
  }

  /** The pid of each worker, by index (for logs and /debug/vars). */
  pids(): Array<{ index: number; pid: number | undefined; ready: boolean }> {
    return [...this.slots.entries()].sort(([a], [b]) => a - b).map(([index, slot]) => ({ index, pid: slot.worker.process.pid, ready: slot.ready }));
  }

  /** The workers that serve now. */
  serving(): Worker[] {
    return this.servingSlots().map(([, slot]) => slot.worker);
  }

  /** Every serving worker's /debug/vars figures (a worker that does not answer within a second is left out). */
  async vars(): Promise<Array<{ index: number; pid: number | undefined } & Partial<WorkerVars>>> {
    const id = this.nextVarsId++;
    const answer = (message: unknown): WorkerVars | undefined => (isRegistryMessage(message) && message.type === 'registry:vars' && message.id === id ? message.vars : undefined);
    return Promise.all(
      this.servingSlots().map(async ([index, { worker }]) => {
        const vars = await askWorker(worker, { type: 'registry:vars-request', id } satisfies PrimaryMessage, answer, VARS_TIMEOUT_MS, 'its figures').catch(() => ({}));
        return { index, pid: worker.process.pid, ...vars };
      }),
    );
  }

  private servingSlots(): Array<[number, Slot]> {
    return [...this.slots.entries()].filter(([, slot]) => slot.ready && slot.worker.isConnected());
  }

  send(index: number, message: PrimaryMessage): void {
    const slot = this.slots.get(index);
    if (slot !== undefined && slot.worker.isConnected()) slot.worker.send(message);
  }

  /** Asks every worker to drain and waits for them; 0 when all exited cleanly. */
  async stop(): Promise<number> {
    this.stopping = true;
    for (const timer of this.restarts) clearTimeout(timer);
    const codes = await Promise.all([...this.slots.values()].map((slot) => this.drain(slot)));
    return codes.every((code) => code === 0) ? 0 : 1;
  }

  /** Kills every worker at once (a second signal). */
  kill(): void {
    this.stopping = true;
    for (const { worker } of this.slots.values()) worker.process.kill('SIGKILL');
  }

  /**
   * A worker still starting is asked once it serves (before, it may not listen for the request yet); one that
   * ended by SIGTERM was asked too (systemd signals the whole group) and counts as clean.
   */
  private async drain(slot: Slot): Promise<number> {
    const { worker } = slot;
    const timer = setTimeout(() => {
      this.options.log.warn({ pid: worker.process.pid }, 'worker did not finish draining in time: killed');
      worker.process.kill('SIGKILL');
    }, this.options.stopTimeoutMs);
    const ask = (): void => {
      if (worker.isConnected()) worker.send({ type: 'registry:shutdown' } satisfies PrimaryMessage);
    };
    if (slot.ready) ask();
    else worker.once('message', (message: unknown) => isRegistryMessage(message) && message.type === 'registry:ready' && ask());
    const { code, signal } = await slot.exited;
    clearTimeout(timer);
    if (signal === 'SIGTERM' || signal === 'SIGINT') return 0;
    return code ?? 1;
  }

  private fork(index: number): Promise<void> {
    const worker = cluster.fork(workerEnv({ index, count: this.options.count }));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => worker.once('exit', (code, signal) => resolve({ code, signal })));
    const slot: Slot = { worker, ready: false, startedAt: Date.now(), exited };
    this.slots.set(index, slot);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: unknown) => {
        if (!isRegistryMessage(message)) return;
        const typed = message as WorkerMessage;
        if (typed.type === 'registry:vars') return;
        if (typed.type === 'registry:ready') {
          slot.ready = true;
          resolve();
          return;
        }
        this.options.onMessage(index, typed);
      });
      worker.once('exit', (code, signal) => {
        if (this.slots.get(index) === slot && !this.stopping) this.slots.delete(index);
        this.options.onExit?.(index);
        if (!slot.ready) reject(new WorkerStartError(index, code ?? 1, signal));
        if (this.stopping || !this.started) return;
        this.options.log.error({ worker: index, pid: worker.process.pid, code, signal }, 'worker exited: starting another');
        this.restart(index, Date.now() - slot.startedAt);
      });
    });
  }

  private restart(index: number, livedMs: number): void {
    const previous = this.pauses.get(index);
    const pause = livedMs >= STABLE_MS || previous === undefined ? RESTART_MIN_MS : Math.min(RESTART_MAX_MS, previous * 2);
    this.pauses.set(index, pause);
    const timer = setTimeout(() => {
      this.restarts.delete(timer);
      if (this.stopping) return;
      this.fork(index).then(
        () => this.options.log.info({ worker: index, pid: this.slots.get(index)?.worker.process.pid }, 'worker serving again'),
        // Its exit was logged and another start scheduled, with a longer pause.
        () => undefined,
      );
    }, pause);
    this.restarts.add(timer);
  }
}
