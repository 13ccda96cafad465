// Go's time.ParseDuration syntax ("168h", "1h30m", "500ms", "1.5s"), as distribution's config uses it.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** Go rejects durations beyond int64 nanoseconds (about 292 years). */
const MAX_MS = 9_223_372_036_854.775;

const TERM = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/**
 * Milliseconds for a Go duration string, or undefined when it is not one.
 * Like Go: a sign is allowed, "0" needs no unit, every other term needs one, and ".5s" and "5.s" are valid.
 */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = TERM.exec(rest);
    if (!m) return undefined;
    const [whole, int = '', frac, unit = ''] = m;
    if (int === '' && (frac === undefined || frac === '')) return undefined; // "s", ".s"
    const scale = UNIT_MS[unit];
    if (scale === undefined) return undefined;
    total += Number(`${int === '' ? '0' : int}.${frac ?? ''}0`) * scale;
    rest = rest.slice(whole.length);
  }
  if (total > MAX_MS) return undefined;
  // Whole nanoseconds, as Go keeps them, without binary-fraction noise ("0.1s" is 100 ms, not 100.00000000000001).
  return (sign * Math.round(total * 1e6)) / 1e6;
}
