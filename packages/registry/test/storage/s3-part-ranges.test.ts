// How objects are cut into parts for UploadPartCopy: within S3's limits whatever the size. (s3rver has no
// UploadPartCopy, so the copy itself is exercised only against AWS or MinIO; the cutting is checked here.)
import { expect } from 'chai';
import { MAX_PARTS, partRanges } from '../../src/storage/s3/s3-part-ranges.js';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../../src/storage/s3/s3-settings.js';

const MiB = 1024 * 1024;

function expectValid(start: number, length: number, chunkSize: number, firstPart = 1): void {
  const ranges = partRanges(start, length, chunkSize, firstPart);
  expect(ranges.length).to.be.within(1, MAX_PARTS);
  expect(ranges[0]?.begin).to.equal(start);
  expect(ranges.at(-1)?.end).to.equal(start + length);
  ranges.forEach((r, i) => {
    expect(r.partNumber).to.equal(firstPart + i);
    if (i > 0) expect(r.begin).to.equal(ranges[i - 1]?.end);
    expect(r.end - r.begin).to.be.at.most(MAX_PART_SIZE);
    if (length >= MIN_PART_SIZE) expect(r.end - r.begin, `part ${i} of ${length}`).to.be.at.least(MIN_PART_SIZE);
  });
}

describe('S3 part ranges for UploadPartCopy', function () {
  it('keeps every part at least 5 MiB, so that more parts may follow the copied ones', function () {
    for (const length of [5 * MiB, 5 * MiB + 1, 9 * MiB, 10 * MiB - 1, 10 * MiB, 12 * MiB, 33 * MiB, 1000 * MiB + 7]) {
      expectValid(0, length, 5 * MiB);
      expectValid(0, length, 32 * MiB, 3);
    }
  });

  it('makes one part of anything smaller than a chunk (a whole small object)', function () {
    expect(partRanges(100, 3 * MiB, 32 * MiB)).to.deep.equal([{ partNumber: 1, begin: 100, end: 100 + 3 * MiB }]);
  });

  it('stays within 10,000 parts of at most 5 GiB for the largest objects S3 holds', function () {
    expectValid(0, 5 * 1024 ** 4, 5 * MiB);
    expectValid(0, 20 * 1024 ** 3 + 1, MAX_PART_SIZE);
  });
});
