// Bcrypt htpasswd lines (`user:$2y$...`), the format distribution's `auth.htpasswd` reads, made by the
// real `htpasswd -B` (apache2-utils) with the password on stdin rather than in argv.

import { writeFile } from 'node:fs/promises';
import { runChecked } from './command.js';

export interface Credentials {
  user: string;
  password: string;
}

export async function htpasswdLine(credentials: Credentials): Promise<string> {
  const result = await runChecked('htpasswd', ['-niB', credentials.user], { input: `${credentials.password}\n` });
  const line = result.stdout.split('\n').find((l) => l.startsWith(`${credentials.user}:`));
  if (line === undefined) throw new Error(`htpasswd printed no line for ${credentials.user}`);
  return line;
}

/** Writes an htpasswd file with one line per user. */
export async function writeHtpasswdFile(path: string, users: readonly Credentials[]): Promise<void> {
  const lines = await Promise.all(users.map(htpasswdLine));
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}
