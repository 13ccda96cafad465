// A dockerd reload that is known to have taken: SIGHUP (or systemctl), then dockerd's API is asked until the
// registry configuration it has live is what daemon.json now says (dockerd applies a reload within
// milliseconds, or refuses it and says so only in its own log). A reload that did not take is retried with
// backoff until it does or the next change supersedes it; each failure is counted and logged.

import { Backoff, sleep, type Logger } from '@private-registry/core';
import type { AgentMetrics } from './agent-metrics.js';
import type { DaemonJsonRecord } from './host-files/docker-daemon-json.js';
import { liveConfigMismatch, readLiveRegistryConfig, type ExpectedDockerConfig } from './host-files/docker-engine-api.js';
import type { WriterRecord } from './host-files/host-file-writer.js';

export interface DockerReloadCheckOptions {
  mode: string;
  reload: () => Promise<void>;
  /** dockerd's API socket (rooted); absent: reloads are not verified. */
  socketPath?: string;
  log: Logger;
  metrics?: AgentMetrics;
  /** How long dockerd gets to apply a reload before it counts as not taken. */
  settleMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}

export type ReloadOutcome = { ok: true; verified: boolean } | { ok: false; error: string };

/** What the records before and after a docker write say dockerd should now have live. */
export function expectedAfter(previous: WriterRecord | undefined, next: WriterRecord | undefined): ExpectedDockerConfig {
  const before = previous as DaemonJsonRecord | undefined;
  const after = next as DaemonJsonRecord | undefined;
  const expected: ExpectedDockerConfig = {};
  if (after?.mirror !== undefined) expected.mirror = { url: after.mirror, present: true };
  else if (before?.mirror !== undefined && before.mirrorAdded === true) expected.mirror = { url: before.mirror, present: false };
  if (after?.insecure !== undefined) expected.insecure = { address: after.insecure, present: true };
  else if (before?.insecure !== undefined && before.insecureAdded === true) expected.insecure = { address: before.insecure, present: false };
  return expected;
}

export class DockerReloadCheck {
  private readonly backoff: Backoff;
  private retry: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(private readonly options: DockerReloadCheckOptions) {
    this.backoff = new Backoff(options.backoff ?? { initialMs: 1_000, maxMs: 60_000 });
  }

  /**
   * Reloads dockerd and checks the result. On failure, retries in the background (each retry reports through
   * `onRetried`) until one succeeds or a newer run() or stop() supersedes it.
   */
  async run(expected: ExpectedDockerConfig, onRetried?: (outcome: ReloadOutcome) => void): Promise<ReloadOutcome> {
    this.cancel();
    this.backoff.reset();
    const generation = ++this.generation;
    const outcome = await this.attempt(expected);
    if (!outcome.ok) this.scheduleRetry(generation, expected, onRetried);
    return outcome;
  }

  stop(): void {
    this.cancel();
    this.generation += 1;
  }

  private cancel(): void {
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.retry = undefined;
  }

  private scheduleRetry(generation: number, expected: ExpectedDockerConfig, onRetried?: (outcome: ReloadOutcome) => void): void {
    const delay = this.backoff.next();
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.attempt(expected).then((outcome) => {
        if (generation !== this.generation) return;
        onRetried?.(outcome);
        if (!outcome.ok) this.scheduleRetry(generation, expected, onRetried);
      });
    }, delay);
    this.retry.unref();
  }

  private async attempt(expected: ExpectedDockerConfig): Promise<ReloadOutcome> {
    const { log, metrics, mode, socketPath } = this.options;
    try {
      await this.options.reload();
    } catch (err) {
      metrics?.count('dockerReloadFailures');
      log.error({ err: (err as Error).message, code: (err as { code?: string }).code }, 'dockerd reload failed');
      return { ok: false, error: `dockerd reload failed: ${(err as Error).message}` };
    }
    metrics?.count('dockerReloads');
    if (socketPath === undefined || (expected.mirror === undefined && expected.insecure === undefined)) {
      log.info({ mode }, 'dockerd asked to reload');
      return { ok: true, verified: false };
    }
    const deadline = Date.now() + (this.options.settleMs ?? 3_000);
    let why: string | undefined;
    for (;;) {
      try {
        why = liveConfigMismatch(await readLiveRegistryConfig(socketPath), expected);
      } catch (err) {
        why = (err as Error).message;
      }
      if (why === undefined) {
        log.info({ mode }, 'dockerd reloaded: the mirror configuration is live');
        return { ok: true, verified: true };
      }
      if (Date.now() >= deadline) break;
      await sleep(100);
    }
    metrics?.count('dockerReloadFailures');
    const error = `dockerd reload did not take: ${why} (dockerd's log says why; retrying)`;
    log.error({ mode, detail: why }, 'dockerd reload did not take');
    return { ok: false, error };
  }
}
