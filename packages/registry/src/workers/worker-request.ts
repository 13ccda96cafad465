// A question the primary asks one worker over the cluster's IPC channel: the request goes out, and the first
// message from that worker the `reply` function accepts answers it (within a deadline).
import type { Worker } from 'node:cluster';

/** Resolves with what `reply` makes of the worker's answer; rejects when none came within `timeoutMs`. */
export function askWorker<T>(worker: Worker, request: object, reply: (message: unknown) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`worker ${worker.process.pid ?? '?'} did not send ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown): void => {
      const answer = reply(message);
      if (answer === undefined) return;
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(answer);
    };
    worker.on('message', onMessage);
    worker.send(request);
  });
}
