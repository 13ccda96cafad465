// The mirror's one-download-per-blob across workers (http.workers): the first worker to claim a digest leads its
// download, later claimants follow it. The leader reports where its spool is and how far it got; the primary
// relays that to the followers, which read the same spool file (workers share the host and its filesystem). A
// leader that dies fails its followers' reads, and the next claim leads a fresh download.
import type { FlightRequest, FlightUpdate, PrimaryMessage } from './worker-messages.js';

interface Flight {
  leader: number;
  followers: Set<number>;
  started?: { spool: string; size: number | undefined };
  written: number;
  verified: boolean;
}

export class FlightCoordinator {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly send: (index: number, message: PrimaryMessage) => void) {}

  /** Downloads under way (for tests). */
  get size(): number {
    return this.flights.size;
  }

  handle(index: number, message: FlightRequest): void {
    const { digest } = message;
    const flight = this.flights.get(digest);
    switch (message.type) {
      case 'registry:flight-claim': {
        if (flight === undefined) {
          this.flights.set(digest, { leader: index, followers: new Set(), written: 0, verified: false });
          this.send(index, { type: 'registry:flight-grant', digest, ticket: message.ticket, lead: true });
          return;
        }
        flight.followers.add(index);
        this.send(index, { type: 'registry:flight-grant', digest, ticket: message.ticket, lead: false });
        if (flight.started !== undefined) {
          this.send(index, { type: 'registry:flight-started', digest, ...flight.started });
          this.send(index, { type: 'registry:flight-progress', digest, written: flight.written, verified: flight.verified });
        }
        return;
      }
      case 'registry:flight-started':
        if (flight?.leader !== index) return;
        flight.started = { spool: message.spool, size: message.size };
        this.relay(flight, message);
        return;
      case 'registry:flight-progress':
        if (flight?.leader !== index) return;
        flight.written = message.written;
        flight.verified = message.verified;
        this.relay(flight, message);
        return;
      case 'registry:flight-ended':
        if (flight?.leader !== index) return;
        this.flights.delete(digest);
        this.relay(flight, message);
        return;
    }
  }

  /** A worker is gone: the downloads it led fail for their followers; it follows nothing any more. */
  workerGone(index: number): void {
    for (const [digest, flight] of this.flights) {
      if (flight.leader === index) {
        this.flights.delete(digest);
        this.relay(flight, { type: 'registry:flight-ended', digest, outcome: 'failed', written: flight.written, reason: `the worker downloading ${digest} exited`, code: 'UPSTREAM_UNREACHABLE' });
      } else {
        flight.followers.delete(index);
      }
    }
  }

  private relay(flight: Flight, message: FlightUpdate): void {
    for (const follower of flight.followers) this.send(follower, message);
  }
}
