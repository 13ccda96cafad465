// One structured logger for every package: pino, one record per line on stdout, a child per module.
// Levels are written as names ("info"), in one of three formats: json (the default), text (for a
// person at a terminal) and logstash (distribution's logstash formatter: @timestamp, @version, message).
import { pino, type Logger, type LevelWithSilent, type LoggerOptions as PinoOptions, type DestinationStream } from 'pino';
import { textDestination } from './text-log-line.js';

export type { Logger };

const LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** pino's number for `error`. */
const ERROR_LEVEL = 50;

export type LogFormat = 'json' | 'text' | 'logstash';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'text', 'logstash'];

export interface LoggerOptions {
  level?: string;
  /** json (default), text or logstash. */
  format?: LogFormat;
  /** Where to write; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
  /** Extra fields stamped on every line (service name, version). */
  base?: Record<string, unknown>;
  /**
   * Sees every error or fatal record, and every record with an `alert` field, as logged (before
   * formatting): what email alerts are made of. Must not throw.
   */
  onAlert?: (fields: Record<string, unknown>, message: string) => void;
}

/** Maps distribution's level names (which include "warning") onto pino's. */
export function normalizeLevel(level: string | undefined): LevelWithSilent {
  const lower = (level ?? 'info').toLowerCase();
  const mapped = lower === 'warning' ? 'warn' : lower === 'panic' ? 'fatal' : lower;
  if (!LEVELS.includes(mapped)) throw new RangeError(`unknown log level "${level}"`);
  return mapped as LevelWithSilent;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'json';
  if (!LOG_FORMATS.includes(format)) throw new RangeError(`unknown log format "${String(format)}"`);
  const logstash = format === 'logstash';
  const opts: PinoOptions = {
    level: normalizeLevel(options.level),
    // Logstash's own fields first; the caller's fields may not replace them.
    base: logstash ? { ...options.base, '@version': '1' } : (options.base ?? {}),
    timestamp: logstash ? () => `,"@timestamp":"${new Date().toISOString()}"` : pino.stdTimeFunctions.isoTime,
    ...(logstash ? { messageKey: 'message' } : {}),
    // Names, not pino's numbers: what operators grep for and what log shippers map.
    formatters: { level: (label: string) => ({ level: label }) },
    // Secrets must never reach a log line, whatever a caller passes in.
    redact: { paths: ['password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
  };
  const onAlert = options.onAlert;
  if (onAlert !== undefined) {
    opts.hooks = {
      logMethod(args, method, level) {
        const [first, second] = args as unknown[];
        const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
        if (level >= ERROR_LEVEL || 'alert' in fields) {
          const message = typeof first === 'string' ? first : typeof second === 'string' ? second : '';
          try {
            onAlert(fields, message);
          } catch {
            // An alert that cannot be made must not stop the log line.
          }
        }
        return method.apply(this, args as Parameters<typeof method>);
      },
    };
  }
  const out = options.destination ?? stdoutDestination();
  const destination: DestinationStream = format === 'text' ? textDestination(out) : (out as DestinationStream);
  return pino(opts, destination);
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
