// Parsing of the Range (blob reads) and Content-Range (upload chunks) headers.
import { RegistryError } from '../oci/registry-errors.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

function rangeInvalid(size: number | undefined, reason: string): RegistryError {
  const headers: Record<string, string> = size === undefined ? {} : { 'Content-Range': `bytes */${size}` };
  return new RegistryError('RANGE_INVALID', 'invalid content range', { status: 416, detail: { reason }, headers });
}

/**
 * A single `bytes=` range against a blob of `size` bytes. Returns null for "serve it whole"
 * (no header, or several ranges, which we answer with the whole blob as RFC 9110 allows).
 */
export function parseRange(header: string | undefined, size: number): ByteRange | null {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) {
    if (/^\s*bytes\s*=.*,/.test(header)) return null;
    throw rangeInvalid(size, `malformed Range header`);
  }
  const [, first, last] = m;
  if (first === '' && last === '') throw rangeInvalid(size, 'empty range');
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw rangeInvalid(size, 'empty suffix range');
    start = Math.max(size - suffix, 0);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) throw rangeInvalid(size, 'range end before start');
  }
  if (!Number.isSafeInteger(start) || start >= size) throw rangeInvalid(size, 'range not satisfiable');
  return { start, end };
}

/** An upload chunk's Content-Range: distribution's "a-b", also "bytes a-b/*" and "bytes=a-b". */
export function parseContentRange(header: string | undefined): ByteRange | null {
  if (header === undefined) return null;
  const m = /^\s*(?:bytes[ =])?\s*(\d+)-(\d+)(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  if (!m) throw rangeInvalid(undefined, 'malformed Content-Range header');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) {
    throw rangeInvalid(undefined, 'Content-Range end before start');
  }
  return { start, end };
}
