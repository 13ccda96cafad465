// A spool file that a download is writing, read by any number of clients while it grows: each reader follows the
// written count, gets the last byte only once the whole is verified, and fails with the download. The download
// itself is in this process (BlobTransfer) or in another worker that says how far it is (FollowedTransfer).
import { EventEmitter } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Digest } from '../oci/digest.js';

const READ_CHUNK = 256 * 1024;

export abstract class SpoolFile extends EventEmitter {
  /** Bytes in the spool so far. */
  written = 0;
  /**
   * The whole body arrived and matches its digest: readers may have the last byte. Durability (the spool's
   * fsync before it is renamed into storage) is the cache's concern, not the client's, so they do not wait for it.
   */
  protected verified = false;
  protected failure: Error | undefined;
  /** Every byte is in and matches the digest. */
  get isVerified(): boolean {
    return this.verified;
  }

  /** Resolves once the download is over and verified; rejects when it failed. */
  abstract readonly finished: Promise<void>;

  constructor(
    readonly digest: Digest,
    readonly spoolPath: string,
    /** From the upstream's Content-Length, when it sent one. */
    readonly size: number | undefined,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /**
   * A stream of the blob (or bytes start..end inclusive) that follows the download. The spool is opened
   * now, synchronously, so a reader created before the spool is removed always has it.
   */
  createReader(range?: { start: number; end: number }): Readable {
    const fd = openSync(this.spoolPath, 'r');
    let position = range?.start ?? 0;
    const end = range === undefined ? undefined : range.end + 1;
    const transfer = this;
    let waiting: (() => void) | undefined;
    const stream = new Readable({
      highWaterMark: READ_CHUNK,
      read() {
        const pump = (): void => {
          if (transfer.failure !== undefined && !transfer.verified) {
            this.destroy(transfer.failure);
            return;
          }
          // The last byte waits for the digest check: a client never receives a whole body that does not
          // match its digest, only a cut connection.
          // (`verified` is set before the state becomes complete: it stands for both.)
          const whole = transfer.verified;
          const available = whole ? transfer.written : Math.max(0, transfer.written - 1);
          const limit = end === undefined ? available : Math.min(end, available);
          if (position < limit) {
            const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, limit - position));
            // Synchronous pread of bytes that are already in the page cache: cheaper than a thread-pool trip.
            const got = readSync(fd, buffer, 0, buffer.length, position);
            position += got;
            this.push(got === buffer.length ? buffer : buffer.subarray(0, got));
            return;
          }
          if ((whole && position >= transfer.written) || (end !== undefined && position >= end)) {
            this.push(null);
            return;
          }
          waiting = () => {
            waiting = undefined;
            pump();
          };
          transfer.once('progress', waiting);
        };
        pump();
      },
      destroy(err, callback) {
        if (waiting !== undefined) transfer.off('progress', waiting);
        closeSync(fd);
        callback(err);
      },
    });
    return stream;
  }

}
