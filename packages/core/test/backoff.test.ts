import { expect } from 'chai';
import { Backoff, sleep } from '../src/index.js';

describe('backoff between retries', () => {
  it('doubles up to the maximum, with the jitter inside [half, all] of the step', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1_000, random: () => 0.999999 });
    expect(Array.from({ length: 6 }, () => low.next())).to.deep.equal([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 100, random: () => 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).to.equal(50);
    expect(backoff.attempts).to.equal(1);
  });

  it('sleeps until aborted, not longer', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await sleep(5_000, controller.signal);
    expect(Date.now() - started).to.be.below(1_000);
  });
});
