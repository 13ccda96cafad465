// The server's own timing of each request, from our registry's JSON access log (http/access-log.ts): `ms` runs
// from the request's start (headers parsed) to the response's 'close' (the last byte handed to the socket).
// The log goes to server.log (RegistryProcess sends stdout there); lines written after a mark are read.
import { readFileSync, statSync } from 'node:fs';

export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
  ms: number;
}

/** Where the log ends now: `loggedSince(path, mark)` reads what was written after it (0 when it does not exist yet). */
export function logMark(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The access log's request lines written after `mark`, in order. */
export function loggedSince(path: string, mark: number): LoggedRequest[] {
  const text = readFileSync(path).subarray(mark).toString('utf8');
  const requests: LoggedRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entry['msg'] !== 'request' || typeof entry['ms'] !== 'number' || typeof entry['url'] !== 'string') continue;
    requests.push({ method: String(entry['method']), url: entry['url'], status: Number(entry['status']), ms: entry['ms'] });
  }
  return requests;
}
