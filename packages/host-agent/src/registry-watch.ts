// Event-driven change notification: an etcd watch on the discovery prefix that calls `onChange` on every put or
// delete and after every (re)connect (events may have been missed while disconnected). A watch that etcd ends
// (compaction, a cancelled stream) is created again with backoff. The watch never carries data to the agent:
// the agent re-reads the prefix, so a lost event can delay an update but never corrupt the snapshot.

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

  constructor(private readonly options: RegistryWatchOptions) {}

  start(): void {
    this.running ??= this.loop();
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
      const error = await Promise.race([ended, abort]);
      if (this.stopped.signal.aborted) return;
      this.watcher = undefined;
      log.warn({ err: error?.message }, 'discovery watch ended; creating it again');
      await sleep(backoff.next(), this.stopped.signal);
    }
  }
}
