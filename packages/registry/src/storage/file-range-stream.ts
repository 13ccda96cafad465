// A byte range of an open file as a stream, which can also write itself into a Writable through a
// few reused buffers. Streaming a large blob otherwise allocates a fresh 1 MiB buffer per read, and
// that external-memory churn drives V8 into repeated full collections that halve pull throughput.
import { close, read } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { SelfWritingReadable } from './storage-driver.js';

const BUFFERS = 4;

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead)));
  });
}

export class FileRangeStream extends Readable implements SelfWritingReadable {
  #fd: number;
  #position: number;
  readonly #end: number;
  readonly #chunk: number;
  #closed = false;

  /** Streams bytes [start, end) of `fd`, which this stream owns and closes. */
  constructor(fd: number, start: number, end: number, chunk: number) {
    super({ highWaterMark: chunk });
    this.#fd = fd;
    this.#position = start;
    this.#end = end;
    this.#chunk = chunk;
  }

  override _read(): void {
    const length = Math.min(this.#chunk, this.#end - this.#position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(length);
    readAt(this.#fd, buffer, length, this.#position).then(
      (n) => {
        this.#position += n;
        this.push(n === 0 ? null : buffer.subarray(0, n));
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#closeFd();
    callback(err);
  }

  /**
   * Writes the range into `target` through BUFFERS reused buffers: a buffer is filled again only once
   * the target has taken its previous content (the write callback). Ends `target` at the end.
   */
  async writeTo(target: Writable): Promise<void> {
    const pool = Array.from({ length: BUFFERS }, () => Buffer.allocUnsafeSlow(this.#chunk));
    const free: Buffer[] = [...pool];
    let waiting: (() => void) | undefined;
    let failure: Error | undefined;
    const onClose = (): void => {
      if (target.writableFinished) return; // the normal close after everything was written
      failure ??= Object.assign(new Error('response closed before the blob was sent'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      waiting?.();
    };
    target.once('close', onClose);
    try {
      while (this.#position < this.#end) {
        while (free.length === 0 && !failure) await new Promise<void>((resolve) => (waiting = resolve));
        if (failure) throw failure;
        const buffer = free.pop()!;
        const n = await readAt(this.#fd, buffer, Math.min(this.#chunk, this.#end - this.#position), this.#position);
        if (n === 0) break;
        this.#position += n;
        target.write(buffer.subarray(0, n), (err) => {
          if (err) failure ??= err;
          free.push(buffer);
          const wake = waiting;
          waiting = undefined;
          wake?.();
        });
      }
      if (failure) throw failure;
      target.end();
      await finished(target);
      if (failure) throw failure;
    } finally {
      target.off('close', onClose);
      this.#closeFd();
    }
  }

  #closeFd(): void {
    if (this.#closed) return;
    this.#closed = true;
    close(this.#fd, () => undefined);
  }
}
