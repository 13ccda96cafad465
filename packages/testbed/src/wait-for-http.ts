// Polls a URL until it answers with an expected status: how a starter knows its server is ready. Gives up
// at once, with the log's tail, when the server process it watches has died.

import { exitedError, type ManagedProcess } from './managed-process.js';
import { TestbedError } from './testbed-error.js';

export interface WaitForHttpOptions {
  timeoutMs: number;
  /** Statuses that count as up; [200] unless told (a registry with auth answers /v2/ with 401). */
  okStatuses?: readonly number[];
  intervalMs?: number;
  headers?: Record<string, string>;
  /** Fail fast when this process exits before the URL answers. */
  process?: ManagedProcess;
}

/** Resolves with the first acceptable status. */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<number> {
  const okStatuses = options.okStatuses ?? [200];
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no attempt';
  for (;;) {
    if (options.process !== undefined && !options.process.isRunning()) {
      throw await exitedError(options.process, `before ${url} answered`);
    }
    const remaining = deadline - Date.now();
    try {
      const response = await fetch(url, {
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        signal: AbortSignal.timeout(Math.max(100, Math.min(remaining, 2_000))),
      });
      await response.arrayBuffer();
      if (okStatuses.includes(response.status)) return response.status;
      last = `status ${response.status}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err);
    }
    if (Date.now() >= deadline) {
      throw new TestbedError('START_TIMEOUT', `${url} did not answer ${okStatuses.join('/')} within ${options.timeoutMs} ms (last: ${last})`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
