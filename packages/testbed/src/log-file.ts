// Reading a log file a process writes to: its lines from an offset on, and waiting until a line matches —
// how a test sees an access log or a daemon's "reloaded" message.

import { open, stat } from 'node:fs/promises';
import { TestbedError } from './testbed-error.js';

export interface LogWaitOptions {
  timeoutMs?: number;
  /** Only look at what was written after this byte offset (see logSize). */
  fromOffset?: number;
}

/** The file's size in bytes, 0 when it does not exist yet: take it before an action, wait for lines after. */
export async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** The file's text from `fromOffset` on ('' when it does not exist yet). */
export async function readLogText(file: string, fromOffset = 0): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    if (size <= fromOffset) return '';
    const buffer = Buffer.alloc(size - fromOffset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, fromOffset);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Complete lines from `fromOffset` on (a half-written last line is left out). */
export async function readLogLines(file: string, fromOffset = 0): Promise<string[]> {
  const text = await readLogText(file, fromOffset);
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** Waits for the first line matching `pattern` and returns it. */
export async function waitForLogLine(file: string, pattern: string | RegExp, options: LogWaitOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const matches = (line: string): boolean => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
  for (;;) {
    const line = (await readLogLines(file, options.fromOffset ?? 0)).find(matches);
    if (line !== undefined) return line;
    if (Date.now() >= deadline) {
      const tail = (await readLogLines(file, options.fromOffset ?? 0)).slice(-20).join('\n');
      throw new TestbedError('WAIT_TIMEOUT', `no line matching ${String(pattern)} in ${file} after ${timeoutMs} ms; last lines:\n${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The last `count` lines, for error messages. */
export async function logTail(file: string, count = 30): Promise<string> {
  return (await readLogText(file)).split('\n').slice(-count - 1).join('\n');
}
