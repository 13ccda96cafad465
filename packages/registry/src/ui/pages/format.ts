// How the UI writes numbers, sizes, times and digests: one place, so every page says them the same way.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** "0 B", "512 B", "1.5 KiB", "23.4 MiB", "120 GiB": three significant digits from KiB up. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${text} ${UNITS[unit] as string}`;
}

/** "2026-12-04 13:45 UTC": the server's rendering (the client script shows local time). */
export function formatTime(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** A date from an image config's `created`; undefined when it is not a date or the epoch (reproducible builds say 1970). */
export function parseTime(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** "sha256:0123456789ab": enough to tell digests apart in a list (the full one goes in `title`). */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  return colon === -1 ? digest.slice(0, 19) : digest.slice(0, colon + 13);
}

export function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "3 days", "5 hours", "12 minutes", "40 seconds". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return formatCount(s, 'second', 'seconds');
  const m = Math.round(s / 60);
  if (m < 120) return formatCount(m, 'minute', 'minutes');
  const h = Math.round(m / 60);
  if (h < 48) return formatCount(h, 'hour', 'hours');
  return formatCount(Math.round(h / 24), 'day', 'days');
}
