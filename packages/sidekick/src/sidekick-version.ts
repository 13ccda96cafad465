// The sidekick's own version (package.json), the record's version when the registry does not say its own.

import { readFileSync } from 'node:fs';

/** Read from package.json beside src/ (run by tsx) or beside dist/src/ (the built CLI). */
export const SIDEKICK_VERSION: string = readVersion();

function readVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'registry-sidekick' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this candidate: try the next.
    }
  }
  return '0.0.0';
}
