// The n/last pagination shared by tags/list and _catalog: a lexically sorted list, cut after `last`.

export interface Page {
  items: string[];
  /** The last item returned when more follow, to build the Link header from. */
  next?: string;
}

export function paginate(sorted: readonly string[], n: number | undefined, last: string | undefined): Page {
  // First index strictly after `last`; `last` need not exist itself.
  const start = last === undefined ? 0 : upperBound(sorted, last);
  if (n === undefined) return { items: sorted.slice(start) };
  const items = sorted.slice(start, start + n);
  const more = start + n < sorted.length && items.length > 0;
  return more ? { items, next: items[items.length - 1]! } : { items };
}

/** Byte-wise comparison, as distribution and the spec's "lexical" order mean it. */
export function lexicalSort(values: string[]): string[] {
  return values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The index of the first element of a lexically sorted list that sorts after `value`. */
export function upperBound(sorted: readonly string[], value: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
