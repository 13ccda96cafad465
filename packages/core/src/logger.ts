// One structured logger for every package: pino, JSON lines on stdout, a child per module.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface LoggerOptions {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
  /** Extra fields stamped on every line (service name, version). */
  base?: Record<string, unknown>;
}

/** Maps distribution's level names (which include "warning") onto pino's. */
export function normalizeLevel(level: string | undefined): LevelWithSilent {
  const lower = (level ?? 'info').toLowerCase();
  const mapped = lower === 'warning' ? 'warn' : lower === 'panic' ? 'fatal' : lower;
  if (!LEVELS.includes(mapped)) throw new RangeError(`unknown log level "${level}"`);
  return mapped as LevelWithSilent;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const opts = {
    level: normalizeLevel(options.level),
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
    // Secrets must never reach a log line, whatever a caller passes in.
    redact: { paths: ['password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  return pino(opts, options.destination ?? stdoutDestination());
}

let stdoutGuarded = false;

/**
 * Standard output as a plain stream rather than pino's default sonic-boom file writer: sonic-boom's
 * exit-time flush retries a write to a closed pipe forever (EPIPE), which turned a shutdown with a
 * vanished log reader into a hang. A closed stdout only loses log lines; it must never stop the process.
 */
function stdoutDestination(): NodeJS.WritableStream {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
  return process.stdout;
}
