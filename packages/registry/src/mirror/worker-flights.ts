// A worker's side of the mirror's one-download-per-blob across workers (see workers/flight-coordinator.ts): claims
// a digest from the primary before downloading it; as leader, reports its spool and progress; as follower, gets a
// FollowedTransfer that reads the leader's spool. It also carries the mirror's tag checks between workers, so
// that tagrevalidate holds for the registry, not for each worker, and pushes, so that "a push wins" at once on
// every worker.
import type { Digest } from '../oci/digest.js';
import { isRegistryMessage, sendToPrimary, type FlightEnded, type FlightUpdate } from '../workers/worker-messages.js';
import type { BlobTransfer } from './blob-transfer.js';
import { FollowedTransfer } from './followed-transfer.js';
import { UpstreamError, type UpstreamErrorCode } from './upstream-error.js';

/** Progress is reported at most this often (the verified end at once). */
const PROGRESS_EVERY_MS = 10;

/** A follower's transfer is 'stored' when the leader found the blob stored by another replica. */
export type Claim = { lead: true } | { lead: false; transfer: Promise<FollowedTransfer | 'stored'> };

interface Following {
  digest: Digest;
  started: (transfer: FollowedTransfer | 'stored') => void;
  failed: (err: Error) => void;
  transfer?: FollowedTransfer;
}

export class WorkerFlights {
  private nextTicket = 0;
  private readonly grants = new Map<number, { digest: Digest; resolve: (claim: Claim) => void }>();
  private readonly following = new Map<string, Following>();
  /** Where tag checks announced by other workers go (the PullThrough's tagChecked). */
  onTagChecked: ((key: string, at: number) => void) | undefined;
  /** Where pushes announced by other workers go (RepositoryOrigins.pushedElsewhere). */
  onPushed: ((name: string) => void) | undefined;
  private readonly listener = (message: unknown): void => {
    if (!isRegistryMessage(message)) return;
    if (message.type === 'registry:tag-checked') this.onTagChecked?.(message.key, message.at);
    else if (message.type === 'registry:pushed') this.onPushed?.(message.name);
    else this.onMessage(message as FlightUpdate);
  };

  constructor() {
    process.on('message', this.listener);
  }

  /** Asks the primary whether this worker downloads `digest` or follows the worker that does. */
  claim(digest: Digest): Promise<Claim> {
    const ticket = this.nextTicket++;
    return new Promise<Claim>((resolve) => {
      this.grants.set(ticket, { digest, resolve });
      sendToPrimary({ type: 'registry:flight-claim', digest: digest.value, ticket });
    });
  }

  /** As leader: tells the followers where the spool is and how far the download got, until it ends. */
  lead(transfer: BlobTransfer): void {
    const digest = transfer.digest.value;
    sendToPrimary({ type: 'registry:flight-started', digest, spool: transfer.spoolPath, size: transfer.size });
    let last = 0;
    let timer: NodeJS.Timeout | undefined;
    let verified = false;
    const report = (): void => {
      timer = undefined;
      last = Date.now();
      sendToPrimary({ type: 'registry:flight-progress', digest, written: transfer.written, verified });
    };
    const onProgress = (): void => {
      if (transfer.isVerified && !verified) {
        verified = true;
        clearTimeout(timer);
        report();
        return;
      }
      if (timer !== undefined) return;
      const wait = PROGRESS_EVERY_MS - (Date.now() - last);
      if (wait <= 0) report();
      else timer = setTimeout(report, wait);
    };
    transfer.on('progress', onProgress);
    const stop = (): void => {
      transfer.off('progress', onProgress);
      clearTimeout(timer);
    };
    transfer.finished.then(stop, stop);
  }

  /** As leader: the download is stored (every byte in storage) or failed. */
  ended(digest: Digest, written: number, failure?: unknown): void {
    const message: FlightEnded = { type: 'registry:flight-ended', digest: digest.value, outcome: failure === undefined ? 'stored' : 'failed', written };
    if (failure !== undefined) {
      message.reason = failure instanceof Error ? failure.message : String(failure);
      if (failure instanceof UpstreamError) {
        message.code = failure.code;
        if (failure.status !== undefined) message.status = failure.status;
      }
    }
    sendToPrimary(message);
  }

  /** Tells the other workers that a tag was confirmed upstream now (they need not ask until it is stale). */
  announceTagCheck(key: string, at: number): void {
    sendToPrimary({ type: 'registry:tag-checked', key, at });
  }

  /** Tells the other workers that a push made `name` the team's own. */
  announcePushed(name: string): void {
    sendToPrimary({ type: 'registry:pushed', name });
  }

  close(): void {
    process.off('message', this.listener);
  }

  private onMessage(message: FlightUpdate): void {
    if (message.type === 'registry:flight-grant') {
      const grant = this.grants.get(message.ticket);
      this.grants.delete(message.ticket);
      if (grant === undefined) return;
      if (message.lead) {
        grant.resolve({ lead: true });
        return;
      }
      // Registered now, not when the claimant resumes: the leader's news may come in the same read as the grant.
      const { digest } = grant;
      const transfer = new Promise<FollowedTransfer | 'stored'>((started, failed) => this.following.set(digest.value, { digest, started, failed }));
      grant.resolve({ lead: false, transfer });
      return;
    }
    const following = this.following.get(message.digest);
    if (following === undefined) return;
    switch (message.type) {
      case 'registry:flight-started':
        following.transfer = new FollowedTransfer(following.digest, message.spool, message.size);
        following.started(following.transfer);
        return;
      case 'registry:flight-progress':
        following.transfer?.progress(message.written, message.verified);
        return;
      case 'registry:flight-ended': {
        this.following.delete(message.digest);
        const failure = message.outcome === 'failed' ? endedError(message) : undefined;
        if (following.transfer !== undefined) following.transfer.end(message.written, failure);
        else if (failure !== undefined) following.failed(failure);
        // Stored without a download here: another replica downloaded it (the store has it).
        else following.started('stored');
        return;
      }
    }
  }
}

function endedError(message: FlightEnded): UpstreamError {
  const code = (message.code ?? 'UPSTREAM_FAILED') as UpstreamErrorCode;
  return new UpstreamError(code, message.reason ?? `the download of ${message.digest} failed`, message.status === undefined ? {} : { status: message.status });
}
