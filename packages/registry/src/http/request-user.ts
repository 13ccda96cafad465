// Who made a request, for the access log: set once the caller is authenticated, read when the response ends.
import type { IncomingMessage } from 'node:http';

const users = new WeakMap<IncomingMessage, string>();

export function setRequestUser(req: IncomingMessage, user: string): void {
  users.set(req, user);
}

export function requestUser(req: IncomingMessage): string | undefined {
  return users.get(req);
}
