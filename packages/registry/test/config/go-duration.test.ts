// Go duration syntax, as distribution's age/interval/draintimeout values are written.
import { expect } from 'chai';
import { parseGoDuration } from '../../src/config/go-duration.js';

describe('config: Go durations', function () {
  const cases: Array<[string, number]> = [
    ['168h', 168 * 3_600_000],
    ['24h', 86_400_000],
    ['10s', 10_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2h45m30.5s', 2 * 3_600_000 + 45 * 60_000 + 30_500],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['5.s', 5_000],
    ['100us', 0.1],
    ['100µs', 0.1],
    ['100μs', 0.1],
    ['1000000ns', 1],
    ['0', 0],
    ['0s', 0],
    ['+5m', 300_000],
    ['-5m', -300_000],
    ['0.1s', 100],
  ];
  for (const [text, ms] of cases) {
    it(`reads "${text}" as ${ms} ms`, function () {
      expect(parseGoDuration(text)).to.equal(ms);
    });
  }

  for (const text of ['', '1 day', '1d', '10', 's', '.s', '1h 30m', 'h1', '1.2.3s', '-', '1H', '10sec', '5m-3s']) {
    it(`rejects ${JSON.stringify(text)}`, function () {
      expect(parseGoDuration(text)).to.equal(undefined);
    });
  }

  it('rejects a duration beyond what Go can hold (about 292 years)', function () {
    expect(parseGoDuration('2562047h')).to.be.a('number');
    expect(parseGoDuration('2562048h')).to.equal(undefined);
  });
});
