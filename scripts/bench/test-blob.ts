// Blob bodies for pushes, never held in memory: one random file on disk, and per push a fresh
// random 64-byte prefix laid over its start (so every push has a new digest), optionally
// repeated to reach a larger size. Bodies and digests are streamed from the file.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { MiB } from './statistics.js';

const PREFIX_BYTES = 64;
const READ_CHUNK = MiB;

export async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    const buffer = Buffer.allocUnsafe(4 * MiB);
    for (let written = 0; written < bytes; ) {
      const length = Math.min(buffer.length, bytes - written);
      randomFillSync(buffer, 0, length);
      await file.write(buffer, 0, length);
      written += length;
    }
  } finally {
    await file.close();
  }
}

interface Piece {
  /** Offset of this piece in the blob. */
  at: number;
  length: number;
  /** Bytes from memory (the prefix), or from the file at fileOffset. */
  memory?: Buffer;
  fileOffset: number;
}

export class TestBlob {
  readonly size: number;
  private readonly pieces: Piece[];

  private constructor(
    private readonly file: string,
    fileBytes: number,
    repeat: number,
    readonly digest: string,
    prefix: Buffer,
  ) {
    this.size = fileBytes * repeat;
    this.pieces = [{ at: 0, length: PREFIX_BYTES, memory: prefix, fileOffset: 0 }];
    this.pieces.push({ at: PREFIX_BYTES, length: fileBytes - PREFIX_BYTES, fileOffset: PREFIX_BYTES });
    for (let i = 1; i < repeat; i++) this.pieces.push({ at: i * fileBytes, length: fileBytes, fileOffset: 0 });
  }

  /** A new blob (new digest) of fileBytes * repeat bytes over `file`; hashing it streams the whole body once. */
  static async create(file: string, fileBytes: number, repeat = 1): Promise<TestBlob> {
    const prefix = randomBytes(PREFIX_BYTES);
    const unhashed = new TestBlob(file, fileBytes, repeat, '', prefix);
    const hash = createHash('sha256');
    for await (const chunk of unhashed.body()) hash.update(chunk as Buffer);
    return new TestBlob(file, fileBytes, repeat, `sha256:${hash.digest('hex')}`, prefix);
  }

  /** The bytes [start, end) of the blob as a stream (default: all of it). */
  body(start = 0, end = this.size): Readable {
    const pieces = this.pieces;
    const file = this.file;
    async function* bytes(): AsyncGenerator<Buffer> {
      for (const piece of pieces) {
        const from = Math.max(start, piece.at);
        const to = Math.min(end, piece.at + piece.length);
        if (from >= to) continue;
        if (piece.memory) {
          yield piece.memory.subarray(from - piece.at, to - piece.at);
          continue;
        }
        const fileStart = piece.fileOffset + (from - piece.at);
        const stream = createReadStream(file, { start: fileStart, end: fileStart + (to - from) - 1, highWaterMark: READ_CHUNK });
        for await (const chunk of stream) yield chunk as Buffer;
      }
    }
    return Readable.from(bytes(), { objectMode: false, highWaterMark: READ_CHUNK });
  }
}
