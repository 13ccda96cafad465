// A decorator that times every storage driver call and counts its failures, by driver and operation. It
// changes nothing it passes on: the same readers (a SelfWritingReadable keeps its fast writeTo), the same
// errors, and the optional methods only where the wrapped driver has them.
import type { Readable } from 'node:stream';
import type { StorageObserver, StorageOperation } from '../metrics/storage-metrics.js';
import type { FileInfo, StorageDriver, StorageWriter, WalkOptions } from './storage-driver.js';
import { PathNotFoundError } from './storage-errors.js';

/** performance.now(): a double, where hrtime.bigint() allocates. */
function seconds(started: number): number {
  return (performance.now() - started) / 1000;
}

/** A missing path is an answer (a HEAD of an absent blob), not a storage failure. */
function isFailure(err: unknown): boolean {
  return !(err instanceof PathNotFoundError);
}

export class InstrumentedDriver implements StorageDriver {
  readonly name: string;
  // `declare`: no own property at all unless the wrapped driver has the method ('in' checks stay true to it).
  declare purgeIncompleteWrites?: (olderThanMs: number, dryRun: boolean) => Promise<number | 'unsupported'>;
  declare walkFiles?: (path: string, visit: (info: FileInfo) => void | Promise<void>) => Promise<void>;
  declare stagedWriter?: (path: string) => Promise<StorageWriter>;
  declare readonly listsWithTimes?: boolean;

  constructor(
    readonly inner: StorageDriver,
    private readonly observer: StorageObserver,
  ) {
    this.name = inner.name;
    if (inner.listsWithTimes !== undefined) this.listsWithTimes = inner.listsWithTimes;
    const purge = inner.purgeIncompleteWrites;
    if (purge !== undefined) {
      this.purgeIncompleteWrites = (olderThanMs, dryRun) => this.run('purgeIncompleteWrites', () => purge.call(inner, olderThanMs, dryRun));
    }
    const walkFiles = inner.walkFiles;
    if (walkFiles !== undefined) this.walkFiles = (path, visit) => this.run('walk', () => walkFiles.call(inner, path, visit));
    const stagedWriter = inner.stagedWriter;
    if (stagedWriter !== undefined) {
      this.stagedWriter = async (path) =>
        new InstrumentedWriter(await this.run('writer', () => stagedWriter.call(inner, path)), (operation, work) => this.run(operation, work));
    }
  }

  /** Runs `call`, reporting its duration and whether it failed; a synchronous throw counts like a rejection. */
  private run<T>(operation: StorageOperation, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let work: Promise<T>;
    try {
      work = call();
    } catch (err) {
      work = Promise.reject(err);
    }
    // then() rather than an async function: one promise per call, not three.
    return work.then(
      (result) => {
        this.observer.observe(this.name, operation, seconds(started), false);
        return result;
      },
      (err: unknown) => {
        this.observer.observe(this.name, operation, seconds(started), isFailure(err));
        throw err;
      },
    );
  }

  getContent(path: string): Promise<Buffer> {
    return this.run('getContent', () => this.inner.getContent(path));
  }

  putContent(path: string, content: Uint8Array): Promise<void> {
    return this.run('putContent', () => this.inner.putContent(path, content));
  }

  /** Times opening the reader; the stream itself is the driver's own, untouched. */
  reader(path: string, offset?: number, length?: number): Promise<Readable> {
    return this.run('reader', () => this.inner.reader(path, offset, length));
  }

  async writer(path: string, append: boolean): Promise<StorageWriter> {
    const writer = await this.run('writer', () => this.inner.writer(path, append));
    return new InstrumentedWriter(writer, (operation, work) => this.run(operation, work));
  }

  stat(path: string): Promise<FileInfo> {
    return this.run('stat', () => this.inner.stat(path));
  }

  list(path: string): Promise<string[]> {
    return this.run('list', () => this.inner.list(path));
  }

  move(source: string, dest: string): Promise<void> {
    return this.run('move', () => this.inner.move(source, dest));
  }

  delete(path: string): Promise<void> {
    return this.run('delete', () => this.inner.delete(path));
  }

  redirectUrl(path: string, method: 'GET' | 'HEAD'): Promise<string | null> {
    return this.run('redirectUrl', () => this.inner.redirectUrl(path, method));
  }

  /** The whole walk, visits included. */
  walk(path: string, visit: (info: FileInfo) => void | Promise<void>, options?: WalkOptions): Promise<void> {
    return this.run('walk', () => this.inner.walk(path, visit, options));
  }
}

type Timed = <T>(operation: StorageOperation, call: () => Promise<T>) => Promise<T>;

/** Writes go straight through (thousands per blob, not timed one by one); commit, close and cancel are timed. */
class InstrumentedWriter implements StorageWriter {
  constructor(
    private readonly inner: StorageWriter,
    private readonly timed: Timed,
  ) {}

  get size(): number {
    return this.inner.size;
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.inner.write(chunk);
  }

  close(): Promise<void> {
    return this.timed('writer.close', () => this.inner.close());
  }

  commit(): Promise<void> {
    return this.timed('writer.commit', () => this.inner.commit());
  }

  cancel(): Promise<void> {
    return this.timed('writer.cancel', () => this.inner.cancel());
  }
}

/** The driver with every call measured. */
export function instrumentDriver(driver: StorageDriver, observer: StorageObserver): StorageDriver {
  return new InstrumentedDriver(driver, observer);
}
