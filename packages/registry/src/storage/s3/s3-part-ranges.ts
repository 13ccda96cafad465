// How a byte range of an object is cut into parts for UploadPartCopy, within S3's limits: at most
// 10,000 parts of at most 5 GiB, and every part but the last at least 5 MiB.
import { MAX_PART_SIZE } from './s3-settings.js';

/** S3's limit on parts of one multipart upload. */
export const MAX_PARTS = 10_000;

export interface PartRange {
  partNumber: number;
  /** First byte (inclusive). */
  begin: number;
  /** End (exclusive). */
  end: number;
}

/**
 * Parts covering [start, start+length), numbered from `firstPart`, of equal size give or take a byte:
 * between one and two `chunkSize` each (fewer, larger parts where 10,000 would not do), so that when
 * `length` is at least 5 MiB and `chunkSize` at least 5 MiB, every part is too, and more may follow.
 */
export function partRanges(start: number, length: number, chunkSize: number, firstPart = 1): PartRange[] {
  const count = Math.max(1, Math.min(MAX_PARTS, Math.floor(length / chunkSize)), Math.ceil(length / MAX_PART_SIZE));
  return Array.from({ length: count }, (_, i) => ({
    partNumber: firstPart + i,
    begin: start + Math.floor((length * i) / count),
    end: start + Math.floor((length * (i + 1)) / count),
  }));
}
