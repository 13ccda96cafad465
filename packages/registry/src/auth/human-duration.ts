// Token lifetimes as people write them on a command line: 30m, 12h, 90d, 2w, 1y (or "never").
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };

/** Milliseconds, `null` for "never", undefined when the text is not a duration. */
export function parseHumanDuration(text: string): number | null | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'never') return null;
  const m = /^(\d{1,6})([mhdwy])$/.exec(trimmed);
  if (m === null) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  return ms > 0 ? ms : undefined;
}
