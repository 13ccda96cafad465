import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { fstatSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileRangeStream } from '../../src/storage/file-range-stream.js';

const CHUNK = 64 * 1024;

/** A sink that takes `delayMs` per write, collecting a hash of what it got. */
function slowSink(delayMs: number, failAfter?: number): Writable & { digest(): string; bytes: number } {
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    highWaterMark: CHUNK,
    write(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      if (failAfter !== undefined && bytes >= failAfter) {
        setImmediate(() => sink.destroy());
        return;
      }
      setTimeout(callback, delayMs);
    },
  });
  return Object.assign(sink, { digest: () => hash.digest('hex'), get bytes() { return bytes; } });
}

describe('a file range written into a sink through reused buffers', () => {
  let dir: string;
  let file: string;
  const content = randomBytes(10 * CHUNK + 123);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'range-stream-'));
    file = join(dir, 'data');
    await writeFile(file, content);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('delivers exactly the requested range to a slow sink, though its buffers are reused', async () => {
    const sink = slowSink(2);
    await new FileRangeStream(openSync(file, 'r'), 1000, content.length - 7, CHUNK).writeTo(sink);
    expect(sink.digest()).to.equal(createHash('sha256').update(content.subarray(1000, content.length - 7)).digest('hex'));
  });

  it('also streams as a plain readable', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of new FileRangeStream(openSync(file, 'r'), 0, content.length, CHUNK)) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(content)).to.equal(true);
  });

  it('rejects and closes its file when the sink goes away mid-way', async () => {
    const fd = openSync(file, 'r');
    const sink = slowSink(1, 3 * CHUNK);
    const outcome = await new FileRangeStream(fd, 0, content.length, CHUNK).writeTo(sink).then(
      () => 'resolved',
      (err: { code?: string }) => err.code,
    );
    expect(outcome).to.equal('ERR_STREAM_PREMATURE_CLOSE');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(() => fstatSync(fd), 'the file descriptor is closed').to.throw(/EBADF/);
  });
});
