// The primary's side of the mirror's one-download-per-blob across workers: the first claim leads, later ones
// follow and hear what the leader reports (from where it is when they join), and a leader that exits fails them.
import { expect } from 'chai';
import { FlightCoordinator } from '../../src/workers/flight-coordinator.js';
import type { PrimaryMessage } from '../../src/workers/worker-messages.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function coordinator(): { flights: FlightCoordinator; sent: Array<[number, PrimaryMessage]> } {
  const sent: Array<[number, PrimaryMessage]> = [];
  return { flights: new FlightCoordinator((index, message) => sent.push([index, message])), sent };
}

describe('flight coordinator (http.workers)', () => {
  it('grants the lead to the first claim and makes later claims follow it, relaying the leader\'s news to them only', () => {
    const { flights, sent } = coordinator();
    flights.handle(0, { type: 'registry:flight-claim', digest: DIGEST, ticket: 1 });
    flights.handle(1, { type: 'registry:flight-claim', digest: DIGEST, ticket: 7 });
    expect(sent).to.deep.equal([
      [0, { type: 'registry:flight-grant', digest: DIGEST, ticket: 1, lead: true }],
      [1, { type: 'registry:flight-grant', digest: DIGEST, ticket: 7, lead: false }],
    ]);
    sent.length = 0;
    flights.handle(0, { type: 'registry:flight-started', digest: DIGEST, spool: '/spool/x', size: 10 });
    flights.handle(0, { type: 'registry:flight-progress', digest: DIGEST, written: 4, verified: false });
    // News from a worker that does not lead is ignored.
    flights.handle(1, { type: 'registry:flight-progress', digest: DIGEST, written: 9, verified: true });
    flights.handle(0, { type: 'registry:flight-ended', digest: DIGEST, outcome: 'stored', written: 10 });
    expect(sent.map(([index, message]) => [index, message.type])).to.deep.equal([
      [1, 'registry:flight-started'],
      [1, 'registry:flight-progress'],
      [1, 'registry:flight-ended'],
    ]);
    expect(flights.size).to.equal(0);
  });

  it('tells a late follower where the spool is and how far the download got', () => {
    const { flights, sent } = coordinator();
    flights.handle(0, { type: 'registry:flight-claim', digest: DIGEST, ticket: 1 });
    flights.handle(0, { type: 'registry:flight-started', digest: DIGEST, spool: '/spool/x', size: 10 });
    flights.handle(0, { type: 'registry:flight-progress', digest: DIGEST, written: 6, verified: false });
    sent.length = 0;
    flights.handle(2, { type: 'registry:flight-claim', digest: DIGEST, ticket: 3 });
    expect(sent).to.deep.equal([
      [2, { type: 'registry:flight-grant', digest: DIGEST, ticket: 3, lead: false }],
      [2, { type: 'registry:flight-started', digest: DIGEST, spool: '/spool/x', size: 10 }],
      [2, { type: 'registry:flight-progress', digest: DIGEST, written: 6, verified: false }],
    ]);
  });

  it('fails the followers of a leader that exits, and the next claim leads afresh', () => {
    const { flights, sent } = coordinator();
    flights.handle(0, { type: 'registry:flight-claim', digest: DIGEST, ticket: 1 });
    flights.handle(1, { type: 'registry:flight-claim', digest: DIGEST, ticket: 2 });
    sent.length = 0;
    flights.workerGone(0);
    expect(sent).to.have.length(1);
    const [index, message] = sent[0]!;
    expect(index).to.equal(1);
    expect(message).to.include({ type: 'registry:flight-ended', outcome: 'failed', code: 'UPSTREAM_UNREACHABLE' });
    sent.length = 0;
    flights.handle(1, { type: 'registry:flight-claim', digest: DIGEST, ticket: 3 });
    expect(sent).to.deep.equal([[1, { type: 'registry:flight-grant', digest: DIGEST, ticket: 3, lead: true }]]);
  });
});
