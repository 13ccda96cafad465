// Tells when a file may have changed: fs.watch on its directory (sees editors' write-and-rename as well
// as in-place writes, and survives the file being replaced) plus a poll of mtime/ctime/size/inode, for
// file systems where fs.watch says nothing (NFS, some containers' bind mounts).
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface FileChangeWatchOptions {
  /** Poll interval; 1000 ms unless told. */
  pollMs?: number;
  /** Coalesces a burst of watch events (an editor writes, renames, chmods); 20 ms unless told. */
  debounceMs?: number;
  /** false: poll only (tests of the poll; file systems whose watch events are wrong). true unless told. */
  fsWatch?: boolean;
}

export const DEFAULT_POLL_MS = 1000;

/** What the poll compares; a change in any part means "read the file again". */
export async function fileSignature(path: string): Promise<string> {
  try {
    const s = await stat(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

export class FileChangeWatch {
  private watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private signature: string;
  private closed = false;

  /** Calls `onChange` (never twice at once from one event burst) after `path` may have changed. */
  constructor(
    private readonly path: string,
    initialSignature: string,
    private readonly onChange: () => void,
    options: FileChangeWatchOptions = {},
  ) {
    this.signature = initialSignature;
    const debounceMs = options.debounceMs ?? 20;
    if (options.fsWatch !== false) this.startWatcher(path, debounceMs);
    this.timer = setInterval(() => void this.poll(), options.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
  }

  private startWatcher(path: string, debounceMs: number): void {
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename.toString() !== name) return;
        if (this.debounce !== undefined || this.closed) return;
        this.debounce = setTimeout(() => {
          this.debounce = undefined;
          this.fire();
        }, debounceMs);
      });
      // A watcher that fails later (directory removed, inotify limit) leaves the poll in charge.
      this.watcher.on('error', () => this.stopWatcher());
    } catch {
      this.watcher = undefined;
    }
  }

  /** Records what the file looked like when last read, so the poll does not report it again. */
  settled(signature: string): void {
    this.signature = signature;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.stopWatcher();
  }

  private async poll(): Promise<void> {
    const signature = await fileSignature(this.path);
    if (signature !== this.signature) this.fire();
  }

  private fire(): void {
    if (!this.closed) this.onChange();
  }

  private stopWatcher(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }
}
