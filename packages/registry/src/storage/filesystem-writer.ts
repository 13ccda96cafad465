// The filesystem driver's writer: gathers the small writes of a streamed upload into large batches
// written with one writev each, with one batch on its way to disk while the next gathers.
import type { FileHandle } from 'node:fs/promises';
import { rm } from 'node:fs/promises';
import type { StorageWriter } from './storage-driver.js';
import { StorageError } from './storage-errors.js';
import { toStorageError } from './filesystem-errors.js';

/** Writes of 16-64 KiB are gathered into batches this big: few syscalls, little memory held. */
const WRITE_BATCH = 1 << 20;
/**
 * Past this many unsynced bytes a datasync starts in the background (see #startEarlySync). Small
 * enough that a 16 MiB PATCH starts one half-way, large enough that syncs stay few.
 */
const EARLY_SYNC_BYTES = 8 << 20;

/**
 * Batches writes; bytes land in the file as batches fill and on close/commit.
 * The chunks are not copied: the writer holds on to each chunk until it is on disk, so a caller
 * must not change a chunk after handing it over (request bodies never are).
 */
export class FileWriter implements StorageWriter {
  #size: number;
  /** File offset of the next batch. */
  #position: number;
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  /** The batch being written; it never rejects, a failure is parked in #failure for the next caller. */
  #inFlight: Promise<void> = Promise.resolve();
  #failure: unknown;
  /** A background datasync of what was written so far; the final fsync then has little left to do. */
  #earlySync: Promise<void> | undefined;
  #unsynced = 0;
  #done = false;

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
    if (chunk.length === 0) return;
    this.#batch.push(chunk);
    this.#batchBytes += chunk.length;
    this.#size += chunk.length;
    // Only the write that fills a batch waits, and only for the previous batch: the caller
    // gathers the next batch while this one is on its way to disk.
    if (this.#batchBytes >= WRITE_BATCH) await this.#flushBatch();
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
    await this.#earlySync;
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
      if (this.#batchBytes > 0) await this.#flushBatch();
      await this.#settle();
      await this.#earlySync;
      if (durable) await this.handle.sync();
      await this.handle.close();
    } catch (err) {
      await this.handle.close().catch(() => undefined);
      throw toStorageError(this.driver, this.path, err);
    }
  }

  /**
   * Hands the gathered chunks to the disk in one writev, queued behind the batch in flight, and
   * waits for that previous batch only. Taking the batch before any await keeps the order right
   * even if writes overlap.
   */
  async #flushBatch(): Promise<void> {
    const chunks = this.#batch;
    const bytes = this.#batchBytes;
    const position = this.#position;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#position += bytes;
    const previous = this.#inFlight;
    this.#inFlight = previous
      .then(() => (this.#failure === undefined ? writeFully(this.handle, chunks, position) : undefined))
      .then(
        () => this.#startEarlySync(bytes),
        (err: unknown) => {
          this.#failure ??= err;
        },
      );
    await previous;
    if (this.#failure !== undefined) throw toStorageError(this.driver, this.path, this.#failure);
  }

  /**
   * Starts writeback of what is already written while the rest is still arriving, one datasync at
   * a time, so that the fsync at commit has little left to wait for. Durability still comes only
   * from that final fsync; a failure here is parked like a write failure.
   */
  #startEarlySync(written: number): void {
    this.#unsynced += written;
    if (this.#unsynced < EARLY_SYNC_BYTES || this.#earlySync) return;
    this.#unsynced = 0;
    this.#earlySync = this.handle.datasync().then(
      () => {
        this.#earlySync = undefined;
      },
      (err: unknown) => {
        this.#earlySync = undefined;
        this.#failure ??= err;
      },
    );
  }

  async #settle(): Promise<void> {
    await this.#inFlight;
    if (this.#failure !== undefined) throw toStorageError(this.driver, this.path, this.#failure);
  }

  #assertOpen(): void {
    if (this.#done) throw new StorageError('WRITER_CLOSED', this.driver, this.path, `writer for ${this.path} is already finished`);
  }
}

/** writev may write less than asked (a signal, a full disk); the rest is written until done or an error. */
async function writeFully(handle: FileHandle, chunks: Uint8Array[], position: number): Promise<void> {
  let pending = chunks;
  let at = position;
  for (;;) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    pending = remainderAfter(pending, bytesWritten);
    if (pending.length === 0) return;
  }
}

function remainderAfter(chunks: Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let i = 0;
  while (i < chunks.length && skip >= (chunks[i] as Uint8Array).length) skip -= (chunks[i++] as Uint8Array).length;
  if (i === chunks.length) return [];
  const rest = chunks.slice(i);
  rest[0] = (rest[0] as Uint8Array).subarray(skip);
  return rest;
}
