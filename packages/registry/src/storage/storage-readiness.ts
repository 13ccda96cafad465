// Whether the store answers, for /readyz and /debug/health: at most one probe in flight, its answer
// kept for a second so a storm of probes costs the store one round trip a second. Changes are logged
// once each way, and while the store is down a slow background probe notices it coming back.
import type { Logger } from '@private-registry/core';
import type { StorageDriver } from './storage-driver.js';
import { probeStorage, type StorageProbe } from './storage-preflight.js';

export interface ReadinessOptions {
  /** How long one answer is reused. */
  cacheMs?: number;
  /** How often the store is probed while it is down. */
  retryMs?: number;
}

export class StorageReadiness {
  readonly #driver: StorageDriver;
  readonly #log: Logger;
  readonly #cacheMs: number;
  readonly #retryMs: number;
  #last: { probe: StorageProbe; at: number } | undefined;
  #inFlight: Promise<StorageProbe> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(driver: StorageDriver, log: Logger, options: ReadinessOptions = {}) {
    this.#driver = driver;
    this.#log = log;
    this.#cacheMs = options.cacheMs ?? 1_000;
    this.#retryMs = options.retryMs ?? 2_000;
  }

  get driverName(): string {
    return this.#driver.name;
  }

  /** Records what the startup check found (logged there), and starts watching if the store is down. */
  seed(probe: StorageProbe): void {
    this.#last = { probe, at: Date.now() };
    if (!probe.ok) this.#scheduleRetry();
  }

  async check(): Promise<StorageProbe> {
    if (this.#last !== undefined && Date.now() - this.#last.at < this.#cacheMs) return this.#last.probe;
    return this.#probe();
  }

  #probe(): Promise<StorageProbe> {
    this.#inFlight ??= probeStorage(this.#driver).then((probe) => {
      this.#inFlight = undefined;
      this.#record(probe);
      return probe;
    });
    return this.#inFlight;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
  }

  #record(probe: StorageProbe): void {
    const before = this.#last?.probe;
    this.#last = { probe, at: Date.now() };
    if (probe.ok && before !== undefined && !before.ok) this.#log.info({ storage: this.#driver.name }, 'storage is answering again: ready');
    if (!probe.ok && (before === undefined || before.ok)) {
      this.#log.warn({ storage: this.#driver.name, reason: probe.reason, alert: 'storage' }, 'storage is not answering: storage operations answer 503 and /readyz is not ready until it is back');
    }
    if (!probe.ok) this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry !== undefined) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#probe();
    }, this.#retryMs);
    this.#retry.unref();
  }
}
