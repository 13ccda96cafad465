// The storage driver contract: small and dumb. A driver sees only slash-separated paths
// (never digests or repositories); everything registry-specific lives above it.
import type { Readable, Writable } from 'node:stream';

export interface FileInfo {
  /** The path as asked for (normalised, leading slash). */
  path: string;
  /** Bytes; 0 for directories. */
  size: number;
  modTime: Date;
  isDir: boolean;
}

/**
 * A write in progress. Bytes become visible at `path` only on commit (filesystem: the file is
 * fsynced; S3: the multipart upload completes). `close` keeps what was written so that a later
 * `writer(path, true)` can append to it; `cancel` throws it away.
 */
export interface StorageWriter {
  /** Total bytes at the path so far, including what an appending writer found there. */
  readonly size: number;
  /**
   * Appends a chunk. Writes land in the order they are called, even when a caller issues the next
   * before the previous resolved; a chunk must not be changed after it is handed over (a writer may
   * hold on to it until it is on disk instead of copying it).
   */
  write(chunk: Uint8Array): Promise<void>;
  /** Flush and release; the bytes stay for a later append. */
  close(): Promise<void>;
  /** Flush, make durable, release. After commit the content is final. */
  commit(): Promise<void>;
  /** Release and delete what was written. */
  cancel(): Promise<void>;
}

export interface WalkOptions {
  /** Called for each directory before descending; return false to skip its children. */
  enterDir?: (info: FileInfo) => boolean | Promise<boolean>;
}

export interface StorageDriver {
  /** A short name stamped on errors and logs ("filesystem", "s3", "inmemory"). */
  readonly name: string;
  getContent(path: string): Promise<Buffer>;
  /** Atomic: a reader sees the old content or the new, never a part. */
  putContent(path: string, content: Uint8Array): Promise<void>;
  /** A stream of the file from `offset` (to the end, or `length` bytes). */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  writer(path: string, append: boolean): Promise<StorageWriter>;
  stat(path: string): Promise<FileInfo>;
  /** Full paths of the direct children of a directory, sorted. */
  list(path: string): Promise<string[]>;
  /** Atomic move of a file, replacing any file at `dest`. */
  move(source: string, dest: string): Promise<void>;
  /** Deletes a file or a whole directory tree. */
  delete(path: string): Promise<void>;
  /** A URL the client may fetch the content from directly, or null to have the registry serve it. */
  redirectUrl(path: string, method: 'GET' | 'HEAD'): Promise<string | null>;
  /** Depth-first walk in lexical order, calling `visit` for every file and directory under `path`. */
  walk(path: string, visit: (info: FileInfo) => void | Promise<void>, options?: WalkOptions): Promise<void>;
  /**
   * Optional: every file (no directories) under `path`, in no particular order, from a flat listing: far fewer
   * requests than `walk` where the backend lists keys rather than directories (S3: one request per 1000 keys).
   * Callers fall back to `walk` without it. A missing `path` visits nothing.
   */
  walkFiles?(path: string, visit: (info: FileInfo) => void | Promise<void>): Promise<void>;
  /**
   * True where `walkFiles` is a key listing that brings each file's size and time along (S3: a request per 1000
   * keys), so that walking a directory costs far fewer round trips than a stat of each file in it. Where the
   * walk itself stats every file (the filesystem), a caller that needs a few files' times stats just those.
   */
  readonly listsWithTimes?: boolean;
  /**
   * Optional: removes writes a crashed process left half done in the backend itself (S3 multipart uploads),
   * older than `olderThanMs`. Returns how many (would be) removed, or "unsupported" when the backend cannot list them.
   */
  purgeIncompleteWrites?(olderThanMs: number, dryRun: boolean): Promise<number | 'unsupported'>;
  /**
   * Optional: a writer whose bytes become the file at `path` only on commit(), atomically (replacing a file
   * there); close() and cancel() discard them and leave `path` as it was. Where `move` copies (S3), the upload
   * store writes a blob whose digest it already knows straight to its place with it, instead of writing it
   * under the upload and copying it there once verified. Drivers whose move is a rename do without.
   */
  stagedWriter?(path: string): Promise<StorageWriter>;
}

/**
 * A reader that can also write itself into a sink more cheaply than piping (the filesystem driver
 * reuses its read buffers this way). Consumers check with `canWriteItself` and pipe otherwise.
 */
export interface SelfWritingReadable extends Readable {
  /** Writes the rest of the content into `target` and ends it. */
  writeTo(target: Writable): Promise<void>;
}

export function canWriteItself(stream: Readable): stream is SelfWritingReadable {
  return typeof (stream as Partial<SelfWritingReadable>).writeTo === 'function';
}
