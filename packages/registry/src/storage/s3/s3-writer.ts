// The S3 driver's writer: bytes stream into a multipart upload in parts of `chunksize`, holding at most
// one part being gathered plus the one in flight. Content smaller than one part is written with a
// single PutObject. close() and commit() both complete the upload, so the object at the path is
// always whole.
//
// Why close() completes the upload (distribution instead leaves it open and finds it again with
// ListMultipartUploads and ListParts): the upload store keeps an upload's state in storage only. Its
// size is stat(data), its running hash is recomputed by reading the data back when the process has
// none, and the next chunk may arrive at another replica; so after close the bytes must be an
// ordinary object. This also needs neither ListMultipartUploads nor ListParts (s3rver has neither).
//
// Appending (writer(path, true) on an existing object) starts a new multipart upload whose first parts
// are the existing bytes: copied server-side with UploadPartCopy when they are at least 5 MiB and the
// store has it (AWS, MinIO), otherwise read back and uploaded again (small objects; s3rver). So every
// chunk after the first re-copies what came before: free of registry traffic on AWS and MinIO, a
// download and upload where the store lacks UploadPartCopy. docker, containerd, podman and skopeo push
// a layer in one PATCH. Nothing happens until the first byte arrives, so opening for append only to
// commit what is there (the PUT that ends an upload) costs one HEAD.
//
// The staged writer (S3Writer.staged, the driver's stagedWriter) writes a new object whose bytes appear only
// on commit(): close() and cancel() abort the multipart upload and leave whatever is at the path alone. The
// upload store writes a whole blob straight to its place with it, once its digest is known to be right.
import type { CompletedPart } from '@aws-sdk/client-s3';
import type { StorageWriter } from '../storage-driver.js';
import { StorageError } from '../storage-errors.js';
import type { S3Bucket } from './s3-bucket.js';
import { toS3StorageError } from './s3-errors.js';
import { MIN_PART_SIZE } from './s3-settings.js';

interface Existing {
  /** Bytes already at the path that this writer continues. */
  size: number;
  /** Whether an object was there at all (an absent one is created, even when nothing is written). */
  existed: boolean;
}

export class S3Writer implements StorageWriter {
  #size: number;
  /** Whether the existing bytes have been carried into this upload (done on the first write). */
  #prepared = false;
  /** Gathered bytes not yet sent; chunks are kept as handed over (the contract forbids changing them). */
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #uploadId: string | undefined;
  #parts: CompletedPart[] = [];
  #nextPart = 1;
  /** The part being uploaded; it never rejects, a failure is parked in #failure. */
  #inFlight: Promise<void> = Promise.resolve();
  /**
   * Part buffers whose upload has finished, reused for the next parts: a push of any size then allocates
   * two part buffers in all, instead of one per part left for the garbage collector (which let RSS climb).
   */
  #spareParts: Buffer[] = [];
  #failure: unknown;
  /** Writes are taken one after another, in the order they were called. */
  #queue: Promise<void> = Promise.resolve();
  #done = false;

  private constructor(
    private readonly bucket: S3Bucket,
    private readonly path: string,
    private readonly partSize: number,
    private readonly existing: Existing,
    /** stagedWriter: close() and cancel() abandon the upload and leave the object at the path alone. */
    private readonly stagedOnly = false,
  ) {
    this.#size = existing.size;
  }

  static async open(bucket: S3Bucket, path: string, append: boolean): Promise<S3Writer> {
    const head = append ? await bucket.head(path) : undefined;
    const existing = { size: head?.size ?? 0, existed: head !== undefined };
    return new S3Writer(bucket, path, bucket.settings.chunkSize, existing);
  }

  /** The driver's stagedWriter: the object at `path` changes only when commit() completes the upload. */
  static staged(bucket: S3Bucket, path: string): S3Writer {
    return new S3Writer(bucket, path, bucket.settings.chunkSize, { size: 0, existed: false }, true);
  }

  get size(): number {
    return this.#size;
  }

  write(chunk: Uint8Array): Promise<void> {
    if (this.#done) return Promise.reject(this.#closed());
    if (chunk.length === 0) return Promise.resolve();
    this.#size += chunk.length;
    const taken = this.#queue.then(() => this.#take(chunk));
    this.#queue = taken.catch(() => undefined);
    return taken;
  }

  close(): Promise<void> {
    return this.stagedOnly ? this.cancel() : this.#finish();
  }

  /** On S3 a completed upload is durable: commit and close are the same. */
  commit(): Promise<void> {
    return this.#finish();
  }

  async cancel(): Promise<void> {
    if (this.#done) throw this.#closed();
    this.#done = true;
    await this.#queue;
    await this.#inFlight;
    if (this.#uploadId !== undefined) await this.bucket.abortMultipart(this.path, this.#uploadId);
    if (!this.stagedOnly) await this.bucket.deleteKey(this.path);
  }

  async #take(chunk: Uint8Array): Promise<void> {
    try {
      if (this.#failure !== undefined) throw this.#failure;
      if (!this.#prepared) await this.#carryExisting();
      await this.#accept(chunk);
    } catch (err) {
      this.#failure ??= err;
      throw toS3StorageError(this.bucket.driver, this.path, 'UploadPart', err);
    }
  }

  async #accept(chunk: Uint8Array): Promise<void> {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= this.partSize) await this.#sendPart(this.partSize);
  }

  /** The existing bytes become the first part(s) of this upload. */
  async #carryExisting(): Promise<void> {
    this.#prepared = true;
    const { size } = this.existing;
    if (size === 0) return;
    if (size >= MIN_PART_SIZE && this.bucket.partCopy !== 'no') {
      const uploadId = await this.#multipart();
      const parts = await this.bucket.copyParts(this.path, uploadId, this.path, 0, size, this.#nextPart);
      if (parts !== 'unsupported') {
        this.#parts.push(...parts);
        this.#nextPart += parts.length;
        return;
      }
    }
    // The range pins the length: bytes appended meanwhile by someone else would not be taken for ours.
    const body = await this.bucket.get(this.path, { start: 0, end: size - 1 });
    if (body === 'unsatisfiable') throw new StorageError('S3_OBJECT_CHANGED', this.bucket.driver, this.path, `${this.path} changed while it was being appended to`);
    let read = 0;
    for await (const piece of body) {
      const bytes = piece as Uint8Array;
      read += bytes.length;
      await this.#accept(bytes);
    }
    if (read !== size) {
      throw new StorageError('S3_OBJECT_CHANGED', this.bucket.driver, this.path, `${this.path} changed while it was being appended to (read ${read} of ${size} bytes)`);
    }
  }

  async #multipart(): Promise<string> {
    this.#uploadId ??= await this.bucket.createMultipart(this.path);
    return this.#uploadId;
  }

  /** Sends the first `bytes` gathered as the next part, once the part before it has arrived. */
  async #sendPart(bytes: number): Promise<void> {
    const body = this.#takeBytes(bytes);
    const uploadId = await this.#multipart();
    await this.#inFlight;
    if (this.#failure !== undefined) throw this.#failure;
    const partNumber = this.#nextPart++;
    this.#inFlight = this.bucket.uploadPart(this.path, uploadId, partNumber, body).then(
      (part) => {
        this.#parts.push(part);
        if (body instanceof Buffer && body.length === this.partSize && this.#ownBuffers.has(body)) this.#spareParts.push(body);
      },
      (err: unknown) => {
        this.#failure ??= err;
      },
    );
  }

  /** Exactly `bytes` of the gathered chunks in one buffer (S3 parts need a known length). */
  #takeBytes(bytes: number): Uint8Array {
    const first = this.#chunks[0];
    if (this.#chunks.length === 1 && first !== undefined && first.length === bytes) {
      this.#chunks = [];
      this.#buffered = 0;
      return first;
    }
    const out = bytes === this.partSize ? this.#partBuffer() : Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.#chunks[0] as Uint8Array;
      const take = Math.min(chunk.length, bytes - filled);
      out.set(take === chunk.length ? chunk : chunk.subarray(0, take), filled);
      filled += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#buffered -= bytes;
    return out;
  }

  /** Buffers this writer allocated for full parts (never a caller's chunk, which must not be reused). */
  #ownBuffers = new WeakSet<Buffer>();

  #partBuffer(): Buffer {
    const spare = this.#spareParts.pop();
    if (spare !== undefined) return spare;
    const fresh = Buffer.allocUnsafe(this.partSize);
    this.#ownBuffers.add(fresh);
    return fresh;
  }

  async #finish(): Promise<void> {
    if (this.#done) throw this.#closed();
    this.#done = true;
    await this.#queue;
    try {
      if (this.#failure !== undefined) throw this.#failure;
      // Opened for append, nothing written: the object is already what it should be.
      if (!this.#prepared && this.existing.existed && this.#size === this.existing.size) return;
      if (this.#uploadId === undefined) {
        await this.bucket.put(this.path, this.#takeBytes(this.#buffered));
        return;
      }
      if (this.#buffered > 0) await this.#sendPart(this.#buffered);
      await this.#inFlight;
      if (this.#failure !== undefined) throw this.#failure;
      await this.bucket.completeMultipart(this.path, this.#uploadId, this.#parts);
    } catch (err) {
      if (this.#uploadId !== undefined) {
        await this.#inFlight;
        await this.bucket.abortMultipart(this.path, this.#uploadId);
      }
      throw toS3StorageError(this.bucket.driver, this.path, 'CompleteMultipartUpload', err);
    }
  }

  #closed(): StorageError {
    return new StorageError('WRITER_CLOSED', this.bucket.driver, this.path, `writer for ${this.path} is already finished`);
  }
}
