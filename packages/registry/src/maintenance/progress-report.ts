// Progress of a long maintenance run (gc, fsck): a bar (cli-progress) when stderr is a terminal, otherwise one
// log line every few seconds, so a run under systemd or in CI shows it is alive without flooding the log.
import cliProgress from 'cli-progress';
import type { Logger } from '@private-registry/core';

export interface ProgressReport {
  /** Starts (or restarts) a phase with `total` items (0 when unknown). */
  phase(name: string, total: number): void;
  /** `done` more items of the current phase are finished. */
  advance(done?: number, bytes?: number): void;
  /** Ends the current phase (the bar is cleared). */
  stop(): void;
}

export interface ProgressOptions {
  /** Where a bar is drawn; defaults to process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Force the line form (servers, tests); defaults to "not a terminal". */
  lines?: boolean;
  /** Milliseconds between log lines in the line form. */
  everyMs?: number;
  log: Logger;
}

const DEFAULT_EVERY_MS = 5000;

export function progressReport(options: ProgressOptions): ProgressReport {
  const stream = options.stream ?? process.stderr;
  if (options.lines === true || stream.isTTY !== true) return lineProgress(options.log, options.everyMs ?? DEFAULT_EVERY_MS);
  return barProgress(stream);
}

/** A report that says nothing (a server's own scheduled runs log only their summary). */
export const silentProgress: ProgressReport = { phase: () => undefined, advance: () => undefined, stop: () => undefined };

function barProgress(stream: NodeJS.WriteStream): ProgressReport {
  let bar: cliProgress.SingleBar | undefined;
  let bytes = 0;
  return {
    phase(name, total) {
      bar?.stop();
      bytes = 0;
      bar = new cliProgress.SingleBar(
        { stream, format: `${name.padEnd(10)} [{bar}] {value}/{total} {bytes}`, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { bytes: '' });
    },
    advance(done = 1, more = 0) {
      bytes += more;
      bar?.increment(done, { bytes: bytes > 0 ? `${(bytes / 1048576).toFixed(1)} MiB` : '' });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function lineProgress(log: Logger, everyMs: number): ProgressReport {
  let name = '';
  let total = 0;
  let done = 0;
  let bytes = 0;
  let last = Date.now();
  return {
    phase(next, count) {
      name = next;
      total = count;
      done = 0;
      bytes = 0;
      last = Date.now();
    },
    advance(count = 1, more = 0) {
      done += count;
      bytes += more;
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      log.info({ phase: name, done, total: total > 0 ? total : undefined, bytes: bytes > 0 ? bytes : undefined }, 'progress');
    },
    stop() {
      name = '';
    },
  };
}
