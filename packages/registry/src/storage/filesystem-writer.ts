// The filesystem driver's writer: gathers the small writes of a streamed upload into large blocks,
// with one block on its way to disk while the next fills.
import type { FileHandle } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import type { StorageWriter } from './storage-driver.js';
import { StorageError } from './storage-errors.js';
import { toStorageError } from './filesystem-errors.js';

/** Writes of 16-64 KiB are gathered into blocks this big. */
const WRITE_BLOCK = 1 << 20;

/** Buffers small writes into blocks; bytes land in the file as blocks fill and on close/commit. */
export class FileWriter implements StorageWriter {
  #size: number;
  /** File offset of the next block. */
  #position: number;
  #block: Buffer = Buffer.allocUnsafe(WRITE_BLOCK);
  #spare: Buffer | undefined;
  #filled = 0;
  /** The block being written; it never rejects, a failure is parked in #failure for the next caller. */
  #inFlight: Promise<void> = Promise.resolve();
  #failure: unknown;
  #done = false;
  /** Set while a write waits for the disk: the block swap is only safe one call at a time. */
  #busy = false;

  constructor(
    private readonly driver: string,
    private readonly path: string,
    private readonly file: string,
    private readonly handle: FileHandle,
    size: number,
  ) {
    this.#size = size;
    this.#position = size;
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#assertOpen();
    this.#busy = true;
    try {
      for (let from = 0; from < chunk.length; ) {
        const n = Math.min(chunk.length - from, WRITE_BLOCK - this.#filled);
        this.#block.set(chunk.subarray(from, from + n), this.#filled);
        this.#filled += n;
        from += n;
        this.#size += n;
        if (this.#filled === WRITE_BLOCK) await this.#flushBlock();
      }
    } finally {
      this.#busy = false;
    }
  }

  close(): Promise<void> {
    return this.#finish(false);
  }

  commit(): Promise<void> {
    return this.#finish(true);
  }

  async cancel(): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    await this.#inFlight;
    await this.handle.close().catch(() => undefined);
    try {
      await rm(this.file, { force: true });
    } catch (err) {
      throw toStorageError(this.driver, this.path, err);
    }
  }

  async #finish(durable: boolean): Promise<void> {
    this.#assertOpen();
    this.#done = true;
    try {
      if (this.#filled > 0) await this.#flushBlock();
      await this.#settle();
      if (durable) await this.handle.sync();
      await this.handle.close();
    } catch (err) {
      await this.handle.close().catch(() => undefined);
      throw toStorageError(this.driver, this.path, err);
    }
  }

  /** Hands the filled block to the disk and swaps in the spare, so the caller can go on filling. */
  async #flushBlock(): Promise<void> {
    await this.#settle();
    const data = this.#block.subarray(0, this.#filled);
    const position = this.#position;
    this.#position += this.#filled;
    // The previous block's write has settled, so the spare is free to fill.
    [this.#block, this.#spare] = [this.#spare ?? Buffer.allocUnsafe(WRITE_BLOCK), this.#block];
    this.#filled = 0;
    this.#inFlight = writeFully(this.handle, data, position).catch((err: unknown) => {
      this.#failure = err;
    });
  }

  async #settle(): Promise<void> {
    await this.#inFlight;
    if (this.#failure !== undefined) throw toStorageError(this.driver, this.path, this.#failure);
  }

  #assertOpen(): void {
    if (this.#done) throw new StorageError('WRITER_CLOSED', this.driver, this.path, `writer for ${this.path} is already finished`);
    if (this.#busy) throw new StorageError('WRITER_BUSY', this.driver, this.path, `writer for ${this.path} has a write in progress`);
  }
}

async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
