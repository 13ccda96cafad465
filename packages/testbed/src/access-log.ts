// Parses the combined-format access log lines CNCF distribution writes
// (`127.0.0.1 - - [date] "GET /v2/x/manifests/latest HTTP/1.1" 200 529 "" "agent"`), so a test can count
// how often an upstream was really hit.

export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly userAgent: string;
  readonly line: string;
}

const COMBINED = /^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) [^"]*" (\d{3}) \S+ "[^"]*" "([^"]*)"/;

export function parseAccessLog(text: string): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    const match = COMBINED.exec(line);
    if (match === null) continue;
    const [, method, path, status, userAgent] = match;
    if (method === undefined || path === undefined || status === undefined) continue;
    entries.push({ method, path, status: Number(status), userAgent: userAgent ?? '', line });
  }
  return entries;
}
