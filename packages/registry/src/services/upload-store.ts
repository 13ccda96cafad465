// Blob upload sessions: data and start time live in storage (so any replica or worker can continue an
// upload); the running hash is a per-process cache, brought forward over bytes another process appended, or
// recomputed from storage when it is missing.
import type { SweepGuard } from '../gc/sweep-intent.js';
import { randomUUID, createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { StorageDriver, StorageWriter } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import { digestFromHash, type Digest, type DigestAlgorithm } from '../oci/digest.js';
import { RegistryError } from '../oci/registry-errors.js';
import type { BlobDescriptor, BlobStore } from './blob-store.js';
import { KeyedLock } from './keyed-lock.js';
import { deleteIfPresent } from './link-files.js';
import { streamInto } from './stream-into.js';

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HASH_CACHE_LIMIT = 10_000;

export interface UploadState {
  name: string;
  id: string;
  /** Bytes received so far. */
  size: number;
}

export interface AppendOptions {
  /** Where the client says this chunk starts (Content-Range); must equal the current size. */
  start?: number;
  /** Content-Length, when the client sent one; a body of another length is SIZE_INVALID. */
  length?: number;
}

interface RunningHash {
  offset: number;
  algorithm: DigestAlgorithm;
  hash: Hash;
}

/** A chunk received into an upload: the writer is still open, the hash covers all bytes so far. */
interface Received {
  state: UploadState;
  writer: StorageWriter;
  hash: Hash;
}

function uploadUnknown(id: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { detail: { uuid: id.slice(0, 100) } });
}

function digestInvalid(expected: Digest, actual: Digest): RegistryError {
  return new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', { detail: { expected: expected.value, actual: actual.value } });
}

function sizeInvalid(contentLength: number, received: number): RegistryError {
  return new RegistryError('SIZE_INVALID', 'provided length did not match content length', { detail: { contentLength, received } });
}

export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

export class UploadStore {
  private readonly hashes = new Map<string, RunningHash>();
  private readonly locks = new KeyedLock();

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly sweepGuard: SweepGuard,
  ) {}

  async start(name: string): Promise<UploadState> {
    const id = randomUUID();
    await this.driver.putContent(pathFor({ kind: 'uploadStartedAt', name, id }), Buffer.from(new Date().toISOString()));
    const writer = await this.driver.writer(pathFor({ kind: 'uploadData', name, id }), false);
    await writer.close();
    this.remember(id, { offset: 0, algorithm: 'sha256', hash: createHash('sha256') });
    return { name, id, size: 0 };
  }

  async status(name: string, id: string): Promise<UploadState> {
    this.checkId(id);
    try {
      const info = await this.driver.stat(pathFor({ kind: 'uploadData', name, id }));
      return { name, id, size: info.size };
    } catch (err) {
      if (isPathNotFound(err)) throw uploadUnknown(id);
      throw err;
    }
  }

  /** Appends a chunk, hashing while it streams to storage. */
  append(name: string, id: string, body: Readable, options: AppendOptions = {}): Promise<UploadState> {
    this.checkId(id);
    return this.locks.run(id, () => this.appendLocked(name, id, body, options));
  }

  /** Appends an optional last chunk, verifies the digest, and makes the blob visible in `name`. */
  complete(name: string, id: string, digest: Digest, body?: Readable, options: AppendOptions = {}): Promise<BlobDescriptor> {
    this.checkId(id);
    return this.locks.run(id, async () => {
      const staged = this.driver.stagedWriter?.bind(this.driver);
      if (body !== undefined && digest.algorithm === 'sha256' && staged !== undefined && (options.start ?? 0) === 0) {
        // The whole blob in this request: on a store whose move copies (S3), straight to its place.
        if ((await this.status(name, id)).size === 0) return this.completeStaged(name, id, digest, body, options, staged);
      }
      // With a last chunk, the writer that received it stays open to fsync the data after the
      // digest check, rather than being closed and opened again.
      const received = body ? await this.receive(name, id, body, options) : undefined;
      let writer = received?.writer;
      try {
        let actual: Digest;
        let size: number;
        if (received && digest.algorithm === 'sha256') {
          // The hash that covered the last chunk, as it is (the cache might have evicted it meanwhile).
          // Taken out of the cache: once digested, it can no longer continue the upload.
          this.hashes.delete(id);
          actual = digestFromHash(received.hash, 'sha256');
          size = received.state.size;
        } else {
          // Another algorithm is recomputed by reading the data back, which must be flushed first.
          await writer?.close();
          writer = undefined;
          size = received ? received.state.size : (await this.status(name, id)).size;
          actual = await this.currentDigest(name, id, size, digest.algorithm);
        }
        if (actual.value !== digest.value) throw digestInvalid(digest, actual);
        const dataPath = pathFor({ kind: 'uploadData', name, id });
        if (await this.needsWriting(digest)) {
          // fsync before the move: a blob never becomes visible with content not yet on disk.
          const durable = writer ?? (await this.driver.writer(dataPath, true));
          writer = undefined;
          await durable.commit();
          await this.driver.move(dataPath, pathFor({ kind: 'blobData', digest }));
        } else {
          const open = writer;
          writer = undefined;
          await open?.close();
        }
        await this.blobs.link(name, digest);
        // The blob is committed and linked: a failure to remove the session's leftovers must not turn that
        // into an error (the client would push again for nothing); the upload purger removes them later.
        await this.cancelLocked(name, id).catch(() => undefined);
        return { digest, size };
      } catch (err) {
        await writer?.close().catch(() => undefined);
        // A wrong digest ends the session: nothing of it became visible.
        if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') await this.cancelLocked(name, id);
        throw err;
      }
    });
  }

  /**
   * The whole blob in the body of the request that completes an empty upload, on a driver with a staged writer
   * (S3): written straight to its place and visible there only once its digest is verified, rather than written
   * under the upload and then copied into place (on S3 a move copies every byte: 0.7 s for 256 MiB on s3rver).
   * A failure leaves the session empty; a crash leaves an incomplete multipart upload, which nobody sees and the
   * upload purger aborts.
   */
  private async completeStaged(
    name: string,
    id: string,
    digest: Digest,
    body: Readable,
    options: AppendOptions,
    stagedWriter: (path: string) => Promise<StorageWriter>,
  ): Promise<BlobDescriptor> {
    const writer = await stagedWriter(pathFor({ kind: 'blobData', digest }));
    const hash = createHash('sha256');
    try {
      await streamInto(body, hash, writer);
      if (options.length !== undefined && writer.size !== options.length) throw sizeInvalid(options.length, writer.size);
      const actual = digestFromHash(hash, 'sha256');
      if (actual.value !== digest.value) throw digestInvalid(digest, actual);
      if (await this.needsWriting(digest)) await writer.commit();
      else await writer.close();
    } catch (err) {
      await writer.cancel().catch(() => undefined);
      if (err instanceof RegistryError && err.code === 'DIGEST_INVALID') await this.cancelLocked(name, id);
      throw err;
    }
    await this.blobs.link(name, digest);
    await this.cancelLocked(name, id).catch(() => undefined);
    return { digest, size: writer.size };
  }

  /**
   * A blob already stored is not written again, unless a garbage collection is deleting it: then the fresh copy
   * (new modification time) replaces it and the collector spares it.
   */
  private async needsWriting(digest: Digest): Promise<boolean> {
    return (await this.blobs.statGlobal(digest)) === null || (await this.sweepGuard.conflicts([digest.value])).length > 0;
  }

  /** A whole blob in one request (POST ?digest= or a first PUT): a session that lives for one call. */
  async uploadWhole(name: string, digest: Digest, body: Readable, options: AppendOptions = {}): Promise<BlobDescriptor> {
    const session = await this.start(name);
    try {
      return await this.complete(name, session.id, digest, body, options);
    } catch (err) {
      await this.cancel(name, session.id).catch(() => undefined);
      throw err;
    }
  }

  cancel(name: string, id: string): Promise<void> {
    this.checkId(id);
    return this.locks.run(id, async () => {
      await this.status(name, id);
      await this.cancelLocked(name, id);
    });
  }

  private async cancelLocked(name: string, id: string): Promise<void> {
    this.hashes.delete(id);
    await deleteIfPresent(this.driver, pathFor({ kind: 'uploadDir', name, id }));
  }

  private checkId(id: string): void {
    if (!UPLOAD_ID.test(id)) throw uploadUnknown(id);
  }

  private remember(id: string, running: RunningHash): void {
    this.hashes.delete(id);
    if (this.hashes.size >= HASH_CACHE_LIMIT) {
      const oldest = this.hashes.keys().next().value;
      if (oldest !== undefined) this.hashes.delete(oldest);
    }
    this.hashes.set(id, running);
  }

  /**
   * The running hash at `offset`: from the cache; or the cached one brought forward over the bytes another process
   * appended since (a PATCH that reached another worker or replica: the data only ever grows); or recomputed by
   * reading the data back.
   */
  private async hashAt(name: string, id: string, offset: number, algorithm: DigestAlgorithm): Promise<Hash> {
    const cached = this.hashes.get(id);
    this.hashes.delete(id);
    const usable = cached !== undefined && cached.algorithm === algorithm && cached.offset <= offset;
    if (usable && cached.offset === offset) return cached.hash;
    const hash = usable ? cached.hash : createHash(algorithm);
    const from = usable ? cached.offset : 0;
    if (offset > from) {
      const stream = await this.driver.reader(pathFor({ kind: 'uploadData', name, id }), from, offset - from);
      for await (const chunk of stream) hash.update(chunk as Buffer);
    }
    return hash;
  }

  private async currentDigest(name: string, id: string, size: number, algorithm: DigestAlgorithm): Promise<Digest> {
    return digestFromHash(await this.hashAt(name, id, size, algorithm), algorithm);
  }

  private async appendLocked(name: string, id: string, body: Readable, options: AppendOptions): Promise<UploadState> {
    const { state, writer } = await this.receive(name, id, body, options);
    await writer.close();
    return state;
  }

  /**
   * Streams a chunk into the session's data while hashing it, and hands back the writer still open
   * (all bytes handed over, possibly not yet flushed) so the caller can close or commit it.
   */
  private async receive(name: string, id: string, body: Readable, options: AppendOptions): Promise<Received> {
    // Drivers may create a missing file on append, so the session's existence is checked first.
    await this.status(name, id);
    const writer: StorageWriter = await this.driver.writer(pathFor({ kind: 'uploadData', name, id }), true);
    const offset = writer.size;
    if (options.start !== undefined && options.start !== offset) {
      await writer.close();
      throw new RegistryError('RANGE_INVALID', 'chunk does not start at the end of the upload', {
        status: 416,
        detail: { expectedStart: offset, start: options.start },
        headers: { Range: rangeHeader(offset), 'Docker-Upload-UUID': id },
      });
    }
    let hash: Hash;
    try {
      hash = await this.hashAt(name, id, offset, 'sha256');
      await streamInto(body, hash, writer);
    } catch (err) {
      // The bytes that did reach storage stay (a client may resume from the reported Range);
      // the running hash no longer matches them, so it is dropped and recomputed on demand.
      await writer.close().catch(() => undefined);
      throw err;
    }
    const received = writer.size - offset;
    if (options.length !== undefined && received !== options.length) {
      await writer.close().catch(() => undefined);
      throw sizeInvalid(options.length, received);
    }
    this.remember(id, { offset: writer.size, algorithm: 'sha256', hash });
    return { state: { name, id, size: writer.size }, writer, hash };
  }
}
