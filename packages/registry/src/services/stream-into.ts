// Copies a request body into a storage writer while hashing it, with 'data' events rather than
// `for await`: a blob push is thousands of 16-64 KiB chunks, and the async iterator costs a few
// promises per chunk. The body is paused only while a write waits for the disk, so memory stays
// bounded by the writer's batches plus one chunk.
import type { Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { StorageWriter } from '../storage/storage-driver.js';

/** The body ended early (the client went away); the same code Node's stream helpers use. */
export class BodyClosedError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('request body closed before its end');
  }
}

/** Resolves once the whole body is hashed and handed to `writer` (which may not have flushed it yet). */
export function streamInto(body: Readable, hash: Hash, writer: StorageWriter): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    /** Writes not yet resolved: most resolve at once, one that fills a batch waits for the disk. */
    let pending = 0;
    let ended = false;
    let failed = false;

    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      body.off('data', onData);
      body.off('end', onEnd);
      // The rest of the body is not wanted; reading it keeps the connection usable for the answer.
      body.resume();
      reject(err instanceof Error ? err : new Error(String(err)));
    };

    const written = (): void => {
      pending--;
      if (failed || pending > 0) return;
      if (ended) resolve();
      else if (body.isPaused()) body.resume();
    };

    function onData(chunk: Buffer): void {
      hash.update(chunk);
      // A write still pending when the next chunk arrives is waiting for the disk: hold the body.
      if (pending > 0) body.pause();
      pending++;
      writer.write(chunk).then(written, fail);
    }

    function onEnd(): void {
      ended = true;
      body.off('error', fail);
      if (pending === 0 && !failed) resolve();
    }

    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', fail);
    // An aborted request emits 'close' without 'end' (and maybe without 'error').
    body.once('close', () => {
      if (!ended) fail(new BodyClosedError());
    });
  });
}
