// One upstream download of one blob, shared by every request that wants it while it runs. The bytes go to a
// spool file as they arrive, hashed on the way; each request reads the spool behind the download (from the
// start, or its range) and is served as fast as the bytes come, never waiting for the end and never going
// upstream itself. Once every byte is in and the digest matches, the owner commits the spool into storage;
// a mismatch or a broken download fails every reader and nothing is cached.

import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';
import { SpoolFile } from './spool-file.js';
import { UpstreamError } from './upstream-error.js';

/** Bytes received but not yet in the spool before the upstream body is paused. */
const SPOOL_HIGH_WATER = 8 * 1024 * 1024;

export class BlobTransfer extends SpoolFile {
  private state: 'running' | 'complete' | 'failed' = 'running';
  readonly finished: Promise<void>;

  private constructor(
    digest: Digest,
    spoolPath: string,
    size: number | undefined,
    body: Readable,
    file: FileHandle,
    private readonly onBytes: (bytes: number) => void,
    private readonly syncOnComplete: boolean,
  ) {
    super(digest, spoolPath, size);
    this.finished = this.download(body, file);
    // Readers learn of a failure through their own streams; nobody has to await this.
    this.finished.catch(() => undefined);
  }

  /**
   * `syncOnComplete`: fsync the spool once it is verified, because it will be renamed into storage as it is
   * (a blob must be durable before it becomes visible).
   */
  static async start(
    digest: Digest,
    spoolPath: string,
    size: number | undefined,
    body: Readable,
    options: { onBytes?: (bytes: number) => void; syncOnComplete?: boolean } = {},
  ): Promise<BlobTransfer> {
    const file = await open(spoolPath, 'wx', 0o600);
    return new BlobTransfer(digest, spoolPath, size, body, file, options.onBytes ?? (() => undefined), options.syncOnComplete ?? false);
  }

  get complete(): boolean {
    return this.state === 'complete';
  }

  /** Removes the spool (readers that have it open keep reading). */
  async removeSpool(): Promise<void> {
    await unlink(this.spoolPath).catch(() => undefined);
  }

  private async download(body: Readable, file: FileHandle): Promise<void> {
    try {
      await this.receive(body, file);
      if (this.size !== undefined && this.written !== this.size) {
        throw new UpstreamError('UPSTREAM_FAILED', `upstream sent ${this.written} of ${this.size} bytes of ${this.digest.value}`);
      }
      if (this.actualHex !== this.digest.hex) {
        throw new UpstreamError('UPSTREAM_DIGEST_MISMATCH', `upstream content for ${this.digest.value} hashes to ${this.digest.algorithm}:${this.actualHex}`);
      }
      this.verified = true;
      this.emit('progress');
      if (this.syncOnComplete) await file.datasync();
      this.state = 'complete';
    } catch (err) {
      this.state = 'failed';
      this.failure = err instanceof UpstreamError ? err : new UpstreamError('UPSTREAM_UNREACHABLE', `download of ${this.digest.value} broke: ${(err as Error).message}`, { cause: err });
      body.destroy();
      throw this.failure;
    } finally {
      await file.close();
      this.emit('progress');
    }
  }

  private actualHex = '';

  /**
   * Hashes the body as it arrives and writes it to the spool in batches: whatever arrived while one write was
   * running goes in the next writev, so a fast upstream costs few thread-pool trips. The body is paused while
   * more than SPOOL_HIGH_WATER bytes wait for the disk.
   */
  private receive(body: Readable, file: FileHandle): Promise<void> {
    const hash = createHash(this.digest.algorithm);
    return new Promise<void>((resolve, reject) => {
      const queue: Buffer[] = [];
      let queued = 0;
      let writing = false;
      let ended = false;
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        reject(err);
      };
      const done = (): void => {
        if (settled) return;
        settled = true;
        this.actualHex = hash.digest('hex');
        resolve();
      };
      const flush = async (): Promise<void> => {
        if (writing) return;
        writing = true;
        try {
          while (queue.length > 0 && !settled) {
            const batch = queue.splice(0, queue.length);
            let bytes = 0;
            for (const chunk of batch) bytes += chunk.length;
            queued -= bytes;
            await file.writev(batch, this.written);
            this.written += bytes;
            this.onBytes(bytes);
            this.emit('progress');
            if (body.isPaused() && queued < SPOOL_HIGH_WATER / 2) body.resume();
          }
        } catch (err) {
          fail(err as Error);
          return;
        } finally {
          writing = false;
        }
        if (ended && queue.length === 0) done();
      };
      body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        queue.push(chunk);
        queued += chunk.length;
        if (queued > SPOOL_HIGH_WATER) body.pause();
        void flush();
      });
      body.once('end', () => {
        ended = true;
        if (!writing && queue.length === 0) done();
      });
      body.once('error', fail);
      body.once('close', () => {
        if (!ended) fail(new Error('the upstream connection closed before the end of the body'));
      });
    });
  }
}
