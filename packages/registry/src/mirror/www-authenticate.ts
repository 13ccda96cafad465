// Parses an upstream's `WWW-Authenticate` challenge (RFC 7235): the scheme and its parameters, e.g.
// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`.

export interface Challenge {
  /** Lower case: "bearer", "basic". */
  scheme: string;
  params: Record<string, string>;
}

/** The first challenge in the header, or undefined when there is none. Parameter names are lower-cased. */
export function parseChallenge(header: string | null | undefined): Challenge | undefined {
  if (header === null || header === undefined) return undefined;
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/.exec(header);
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  const rest = match[2] ?? '';
  const param = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/gy;
  let offset = 0;
  while (offset < rest.length) {
    param.lastIndex = offset;
    const found = param.exec(rest);
    // A second challenge ("Bearer ..., Basic realm=...") or junk: stop at what was understood.
    if (found === null) break;
    params[(found[1] ?? '').toLowerCase()] = found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : (found[3] ?? '');
    offset = param.lastIndex;
    while (rest[offset] === ' ') offset++;
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}
