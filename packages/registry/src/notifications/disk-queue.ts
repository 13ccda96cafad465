// A durable first-in-first-out queue of serialized events in one local directory. Appends land as batch
// files (written to a temp name, fsync'd, renamed, directory fsync'd): one fsync per batch, however many
// events it holds. Events are read oldest first and removed only when acknowledged; a small cursor file
// remembers how far into the oldest batch delivery got. A crash between a delivery and its
// acknowledgement sends that event again: at-least-once.
import { mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const BATCH_SUFFIX = '.events';
const TEMP_SUFFIX = '.tmp';
const CURSOR = 'cursor';
const SEQ_DIGITS = 16;

export interface DiskQueueOptions {
  /** Told about lines that are not JSON (a damaged file): they are skipped, never sent. */
  onDamaged?: (file: string, line: number) => void;
  /** Told about a batch file that disappeared before delivery (its events cannot be sent). */
  onMissing?: (file: string, events: number) => void;
}

interface Head {
  seq: number;
  lines: string[];
  index: number;
}

export class DiskQueue {
  private head: Head | undefined;

  private constructor(
    readonly directory: string,
    /** Batch sequence numbers on disk, oldest first. */
    private readonly batches: number[],
    /** Events in each batch (for the count when a batch turns out to be gone). */
    private readonly lengths: Map<number, number>,
    private nextSeq: number,
    private cursor: { seq: number; index: number } | undefined,
    private count: number,
    private readonly options: DiskQueueOptions,
  ) {}

  /** Opens (creating) the queue in `directory`, counting what an earlier process left undelivered. */
  static async open(directory: string, options: DiskQueueOptions = {}): Promise<DiskQueue> {
    await mkdir(directory, { recursive: true });
    const names = await readdir(directory);
    // A temp file is a batch whose append never finished: it was never acknowledged to anyone.
    await Promise.all(names.filter((n) => n.endsWith(TEMP_SUFFIX)).map((n) => unlink(join(directory, n)).catch(() => undefined)));
    const batches = names
      .filter((n) => n.endsWith(BATCH_SUFFIX) && /^\d+$/.test(n.slice(0, -BATCH_SUFFIX.length)))
      .map((n) => Number(n.slice(0, -BATCH_SUFFIX.length)))
      .sort((a, b) => a - b);
    const cursor = await readCursor(directory);
    const first = batches[0];
    const usable = cursor !== undefined && cursor.seq === first ? cursor : undefined;
    const lengths = new Map<number, number>();
    const queue = new DiskQueue(directory, batches, lengths, Math.max(batches.at(-1) ?? 0, cursor?.seq ?? 0) + 1, usable, 0, options);
    let count = 0;
    for (const seq of batches) {
      const length = (await queue.readBatch(seq, true)).length;
      lengths.set(seq, length);
      count += length;
    }
    queue.count = count - (usable?.index ?? 0);
    return queue;
  }

  /** Events on disk not yet acknowledged. */
  get size(): number {
    return this.count;
  }

  /** Appends serialized events (one JSON text each, no line breaks) durably, in order. Callers must not overlap appends. */
  async append(events: readonly string[]): Promise<void> {
    if (events.length === 0) return;
    const seq = this.nextSeq++;
    const final = join(this.directory, batchName(seq));
    const temp = `${final}${TEMP_SUFFIX}`;
    // The directory removed behind our back (an operator clearing it) is made again.
    const file = await open(temp, 'w').catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(this.directory, { recursive: true });
      return open(temp, 'w');
    });
    try {
      await file.writeFile(`${events.join('\n')}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, final);
    await syncDirectory(this.directory);
    this.batches.push(seq);
    this.lengths.set(seq, events.length);
    this.count += events.length;
  }

  /** The oldest unacknowledged event, or undefined when the queue is empty. */
  async peek(): Promise<string | undefined> {
    for (;;) {
      if (this.head !== undefined && this.head.index < this.head.lines.length) return this.head.lines[this.head.index];
      if (this.head !== undefined) await this.dropHead();
      const seq = this.batches[0];
      if (seq === undefined) return undefined;
      let lines: string[];
      try {
        lines = await this.readBatch(seq);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        // Removed behind our back (an operator clearing the directory): those events are gone.
        this.options.onMissing?.(join(this.directory, batchName(seq)), this.lengths.get(seq) ?? 0);
        this.count -= this.lengths.get(seq) ?? 0;
        this.lengths.delete(seq);
        this.batches.shift();
        continue;
      }
      const index = this.cursor?.seq === seq ? this.cursor.index : 0;
      this.head = { seq, lines, index };
    }
  }

  /** Removes the event peek() returned: it was delivered. */
  async ack(): Promise<void> {
    const head = this.head;
    if (head === undefined || head.index >= head.lines.length) return;
    head.index++;
    this.count--;
    if (head.index >= head.lines.length) {
      await this.dropHead();
      return;
    }
    this.cursor = { seq: head.seq, index: head.index };
    // No fsync: a cursor lost in a crash only means those events are sent again.
    const temp = join(this.directory, `${CURSOR}${TEMP_SUFFIX}`);
    await writeFile(temp, `${head.seq} ${head.index}\n`);
    await rename(temp, join(this.directory, CURSOR));
  }

  private async dropHead(): Promise<void> {
    const head = this.head;
    if (head === undefined) return;
    this.head = undefined;
    this.batches.shift();
    this.lengths.delete(head.seq);
    // The batch first, the cursor second: a cursor naming a batch that is gone is ignored on open.
    await unlink(join(this.directory, batchName(head.seq))).catch(ignoreMissing);
    if (this.cursor !== undefined) {
      this.cursor = undefined;
      await unlink(join(this.directory, CURSOR)).catch(ignoreMissing);
    }
  }

  /** @param report tell onDamaged (once per damaged line: on open, not again when delivery reads it) */
  private async readBatch(seq: number, report = false): Promise<string[]> {
    const name = batchName(seq);
    const text = await readFile(join(this.directory, name), 'utf8');
    const lines: string[] = [];
    text.split('\n').forEach((line, i) => {
      if (line === '') return;
      if (isJson(line)) lines.push(line);
      else if (report) this.options.onDamaged?.(join(this.directory, name), i + 1);
    });
    return lines;
  }
}

function batchName(seq: number): string {
  return `${String(seq).padStart(SEQ_DIGITS, '0')}${BATCH_SUFFIX}`;
}

async function readCursor(directory: string): Promise<{ seq: number; index: number } | undefined> {
  const text = await readFile(join(directory, CURSOR), 'utf8').catch(() => undefined);
  const match = text === undefined ? null : /^(\d+) (\d+)\s*$/.exec(text);
  return match ? { seq: Number(match[1]), index: Number(match[2]) } : undefined;
}

/** Makes a rename durable: the directory entry itself must reach the disk. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory; the file's own fsync still happened.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
