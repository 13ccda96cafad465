// Reads an htpasswd file's text into users and their bcrypt hashes. A problem names its line and what
// is wrong (the kind of hash, never the hash itself), so an operator can fix the file without the error
// leaking a credential into logs.
import { CodedError } from '@private-registry/core';
import { bcryptCostOf, MAX_BCRYPT_COST, MIN_BCRYPT_COST } from './password-hash.js';
import { userNameProblem } from './user-name.js';

export interface HtpasswdEntry {
  user: string;
  /** The bcrypt hash ($2y$, $2b$ or $2a$). */
  hash: string;
  /** 1-based line number in the file. */
  line: number;
}

/** A line the file cannot be used with. `problem` never contains the line's hash. */
export class HtpasswdLineError extends CodedError {
  declare readonly code: 'HTPASSWD_INVALID';
  readonly line: number;
  readonly problem: string;

  constructor(line: number, problem: string) {
    super('HTPASSWD_INVALID', `line ${line}: ${problem}`);
    this.line = line;
    this.problem = problem;
  }
}

/** Lines that are neither blank nor a `#` comment, with their 1-based numbers; `\r\n` endings allowed. */
export function credentialLines(text: string): { line: number; text: string }[] {
  const lines: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed !== '' && !trimmed.startsWith('#')) lines.push({ line: index + 1, text: trimmed });
  });
  return lines;
}

/** Every user of the file in file order; throws HtpasswdLineError at the first unusable line. */
export function parseHtpasswd(text: string): Map<string, HtpasswdEntry> {
  const entries = new Map<string, HtpasswdEntry>();
  for (const { line, text: content } of credentialLines(text)) {
    const colon = content.indexOf(':');
    if (colon < 0) throw new HtpasswdLineError(line, 'expected USER:HASH (no ":" on the line)');
    const user = content.slice(0, colon);
    const nameProblem = userNameProblem(user);
    if (nameProblem !== undefined) throw new HtpasswdLineError(line, nameProblem);
    const hash = content.slice(colon + 1);
    const hashProblem = hashProblemOf(hash);
    if (hashProblem !== undefined) throw new HtpasswdLineError(line, `user ${JSON.stringify(user)}: ${hashProblem}`);
    const earlier = entries.get(user);
    if (earlier !== undefined) throw new HtpasswdLineError(line, `user ${JSON.stringify(user)} appears twice (lines ${earlier.line} and ${line})`);
    entries.set(user, { user, hash, line });
  }
  return entries;
}

const USE_BCRYPT = 'only bcrypt is supported (htpasswd -B, or private-registry user passwd)';

/** What is wrong with `hash` as a bcrypt hash, naming its kind and never its content; undefined when usable. */
export function hashProblemOf(hash: string): string | undefined {
  if (hash === '') return 'the password hash is empty';
  const cost = bcryptCostOf(hash);
  if (cost !== undefined) {
    return cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST ? `bcrypt cost ${cost} is outside ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}` : undefined;
  }
  if (hash.startsWith('$apr1$')) return `an MD5 ($apr1$) hash: ${USE_BCRYPT}`;
  if (hash.startsWith('{SHA}')) return `a SHA-1 ({SHA}) hash: ${USE_BCRYPT}`;
  if (/^\$(1|5|6|md5|sha1|y|7)\$/.test(hash)) return `a crypt(3) "${hash.slice(0, hash.indexOf('$', 1) + 1)}" hash: ${USE_BCRYPT}`;
  if (/^\$2[a-z]?\$/.test(hash)) {
    const variant = hash.slice(0, hash.indexOf('$', 1) + 1);
    return ['$2a$', '$2b$', '$2y$'].includes(variant) ? 'a malformed bcrypt hash' : `an unsupported bcrypt variant "${variant}": use $2y$, $2b$ or $2a$`;
  }
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) return `a DES crypt hash: ${USE_BCRYPT}`;
  return `not a bcrypt hash (a plain-text password or an unknown scheme): ${USE_BCRYPT}`;
}
