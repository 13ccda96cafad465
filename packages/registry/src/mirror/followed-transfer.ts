// A download another worker is doing (http.workers), read here from its spool file as that worker reports its
// progress through the primary: the same readers as a download of this process (SpoolFile).
import type { Digest } from '../oci/digest.js';
import { SpoolFile } from './spool-file.js';

export class FollowedTransfer extends SpoolFile {
  readonly finished: Promise<void>;
  private settle!: (err?: Error) => void;

  constructor(digest: Digest, spoolPath: string, size: number | undefined) {
    super(digest, spoolPath, size);
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Readers learn of a failure through their own streams; nobody has to await this.
    this.finished.catch(() => undefined);
  }

  progress(written: number, verified: boolean): void {
    this.written = Math.max(this.written, written);
    this.verified ||= verified;
    this.emit('progress');
  }

  /** Stored by the leader (readers may finish), or failed (readers that have not finished fail). */
  end(written: number, failure: Error | undefined): void {
    if (failure === undefined) {
      this.written = Math.max(this.written, written);
      this.verified = true;
    } else {
      this.failure = failure;
    }
    this.settle(failure);
    this.emit('progress');
  }
}
