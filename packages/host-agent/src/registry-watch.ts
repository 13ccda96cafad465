// Event-driven change notification: an etcd watch on the discovery prefix that calls `onChange` on every put or
// delete and after every (re)connect (events may have been missed while disconnected). A watch that etcd ends
// (compaction, a cancelled stream) is created again with backoff. The watch never carries data to the agent:
// the agent re-reads the prefix, so a lost event can delay an update but never corrupt the snapshot.
// `restart` replaces the watch with a new one from etcd's current revision: after etcd's data was wiped or
// restored, etcd3 resumes a watch from the old (now future) revision and it would stay silent.

import { Backoff, sleep, type Logger } from '@private-registry/core';
import type { Etcd3, Watcher } from 'etcd3';

export interface RegistryWatchOptions {
  client: Etcd3;
  prefix: string;
  log: Logger;
  /** `disconnected` too: the agent then tries a read, notices etcd is away and says so once. */
  onChange: (cause: 'event' | 'connected' | 'disconnected') => void;
}

export class RegistryWatch {
  private watcher: Watcher | undefined;
  private readonly stopped = new AbortController();
  private running: Promise<void> | undefined;
  private restartNow: ((reason: string) => void) | undefined;

  constructor(private readonly options: RegistryWatchOptions) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Cancels the current watch and creates a new one (from etcd's current revision); a no-op while none is up. */
  restart(reason: string): void {
    this.restartNow?.(reason);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher !== undefined) await watcher.cancel().catch(() => undefined);
    await this.running;
  }

  private async loop(): Promise<void> {
    const backoff = new Backoff({ initialMs: 250, maxMs: 5_000 });
    const { client, prefix, log, onChange } = this.options;
    while (!this.stopped.signal.aborted) {
      let ended: Promise<Error | undefined>;
      try {
        const watcher = await client.watch().prefix(prefix).create();
        if (this.stopped.signal.aborted) {
          await watcher.cancel().catch(() => undefined);
          return;
        }
        this.watcher = watcher;
        backoff.reset();
        watcher.on('put', () => onChange('event'));
        watcher.on('delete', () => onChange('event'));
        watcher.on('connected', () => onChange('connected'));
        watcher.on('disconnected', () => {
          log.debug('discovery watch disconnected; etcd3 reconnects it');
          onChange('disconnected');
        });
        ended = new Promise((resolve) => {
          watcher.once('error', (err: Error) => resolve(err));
          watcher.once('end', () => resolve(undefined));
        });
        // Whatever happened before the watch existed must be looked at too.
        onChange('connected');
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'discovery watch could not be created; retrying');
        await sleep(backoff.next(), this.stopped.signal);
        continue;
      }
      const abort = new Promise<undefined>((resolve) => this.stopped.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
      const restart = new Promise<string>((resolve) => (this.restartNow = resolve));
      const outcome = await Promise.race([ended.then((error) => ({ error })), abort, restart.then((reason) => ({ reason }))]);
      this.restartNow = undefined;
      if (this.stopped.signal.aborted || outcome === undefined) return;
      const watcher = this.watcher;
      this.watcher = undefined;
      if ('reason' in outcome) {
        log.warn({ reason: outcome.reason }, 'discovery watch restarted from the current revision');
        // A new Watcher: etcd3 would resume a cancelled one from its old revision.
        await watcher?.cancel().catch(() => undefined);
        continue;
      }
      log.warn({ err: outcome.error?.message }, 'discovery watch ended; creating it again');
      await sleep(backoff.next(), this.stopped.signal);
    }
  }
}
