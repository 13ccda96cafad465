// The body of a UI form (login, logout, delete): urlencoded, small, refused past MAX_FORM_BYTES.
import type { IncomingMessage } from 'node:http';

/** Largest form body read (a login or a delete is well under a kilobyte). */
const MAX_FORM_BYTES = 16 * 1024;

/** A form body past MAX_FORM_BYTES: answered 413. */
export class FormTooLargeError extends Error {}

/** A urlencoded form body, at most MAX_FORM_BYTES. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormTooLargeError(`a form of this UI is under ${MAX_FORM_BYTES / 1024} KiB`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
