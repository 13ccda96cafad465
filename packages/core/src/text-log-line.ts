// The `text` log format: one line a person reads at a terminal, made from the JSON record pino wrote
// (`2026-12-02T17:00:00.000Z INFO registry listening url=http://127.0.0.1:5000 storage=filesystem`).

/** Fields shown in the line's head rather than as key=value pairs. */
const HEAD_FIELDS = new Set(['level', 'time', 'msg']);

/** A value as it appears after `key=`: bare when it is one plain word, else JSON (quoted, escaped). */
function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (isSerializedError(value)) return JSON.stringify(value.message);
  return JSON.stringify(value);
}

function isSerializedError(value: unknown): value is { message: string } {
  return typeof value === 'object' && value !== null && 'stack' in value && typeof (value as { message?: unknown }).message === 'string';
}

/** One text line (with its newline) for one JSON record; a line that is not JSON passes through unchanged. */
export function textLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const head = [String(record.time ?? ''), String(record.level ?? '').toUpperCase(), String(record.msg ?? '')].filter((part) => part !== '');
  const pairs = Object.entries(record)
    .filter(([key, value]) => !HEAD_FIELDS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${textValue(value)}`);
  return `${[...head, ...pairs].join(' ')}\n`;
}

/** A destination that turns each JSON record into a text line before writing it to `out`. */
export function textDestination(out: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write: (chunk: string) => {
      // pino writes whole records, one per call; split anyway in case a stream batches them.
      for (const line of chunk.split('\n')) if (line !== '') out.write(textLogLine(line));
    },
  };
}
