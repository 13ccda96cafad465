// Edits of an htpasswd file's text that `private-registry user` makes: one user's line added, replaced or
// removed, every other line (comments, blank lines, lines we would refuse, CRLF endings) kept as it was.
// Lines are found by their user name alone, so `user passwd` can replace an MD5 line with a bcrypt one.

/** Indexes (0-based) of the lines whose user is `user`. */
function indexesOf(lines: readonly string[], user: string): number[] {
  const found: number[] = [];
  lines.forEach((raw, index) => {
    const content = raw.trim();
    if (content.startsWith('#')) return;
    const colon = content.indexOf(':');
    if (colon >= 0 && content.slice(0, colon) === user) found.push(index);
  });
  return found;
}

/** 1-based numbers of the lines that define `user` (more than one in a broken file). */
export function linesOfUser(text: string, user: string): number[] {
  return indexesOf(text.split('\n'), user).map((index) => index + 1);
}

/** User names in file order, read leniently (whatever precedes ":" on a non-comment line). */
export function userNamesIn(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const content = raw.trim();
    const colon = content.indexOf(':');
    if (content !== '' && !content.startsWith('#') && colon > 0) names.push(content.slice(0, colon));
  }
  return names;
}

/** `text` with `user:hash` appended, in the file's line-ending style. */
export function withUserAdded(text: string, user: string, hash: string): string {
  if (text === '') return `${user}:${hash}\n`;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = text.endsWith('\n') ? text : `${text}${eol}`;
  return `${body}${user}:${hash}${eol}`;
}

/** `text` with the (single) line of `user` now `user:hash`. */
export function withUserReplaced(text: string, user: string, hash: string): string {
  const lines = text.split('\n');
  for (const index of indexesOf(lines, user)) {
    const cr = (lines[index] ?? '').endsWith('\r') ? '\r' : '';
    lines[index] = `${user}:${hash}${cr}`;
  }
  return lines.join('\n');
}

/** `text` without any line of `user`. */
export function withUserRemoved(text: string, user: string): string {
  const lines = text.split('\n');
  const drop = new Set(indexesOf(lines, user));
  return lines.filter((_line, index) => !drop.has(index)).join('\n');
}
