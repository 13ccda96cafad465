// What the htpasswd tests share: bcrypt lines of each prefix, a logger whose records the test can read,
// and a wait for something that happens within a deadline.
import { PassThrough } from 'node:stream';
import { hash } from '@node-rs/bcrypt';
import { createLogger, type Logger } from '@private-registry/core';
import { findCommand, htpasswdLine } from '@private-registry/testbed';

/** `user:$2b$...` (or $2a$, the same algorithm for these passwords) made by @node-rs/bcrypt at cost 4. */
export async function bcryptLine(user: string, password: string, prefix: '$2a$' | '$2b$' = '$2b$'): Promise<string> {
  const hashed = await hash(password, 4);
  return `${user}:${prefix}${hashed.slice(4)}`;
}

/** `user:$2y$...` from the real `htpasswd -B`, or undefined when apache2-utils is not installed. */
export async function apacheLine(user: string, password: string): Promise<string | undefined> {
  return findCommand('htpasswd') === undefined ? undefined : htpasswdLine({ user, password });
}

export interface CapturedLog {
  log: Logger;
  records(): Record<string, unknown>[];
  text(): string;
}

export function capturedLog(): CapturedLog {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const log = createLogger({ level: 'debug', destination: stream });
  return {
    log,
    text: () => text,
    records: () =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Resolves once `condition()` holds, failing with `what` after `withinMs`. */
export async function eventually(what: string, condition: () => boolean | Promise<boolean>, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
