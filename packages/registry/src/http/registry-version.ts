// This registry's version (package.json "version"), read once at load: sent on every /v2 answer as
// X-Registry-Version, which the sidekick puts in the discovery record.
import { readFileSync } from 'node:fs';

export const VERSION_HEADER = 'X-Registry-Version';

/** From package.json above src/ (run by tsx) or above dist/src/ (the built CLI). */
export const REGISTRY_VERSION: string = readVersion();

function readVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'private-registry' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not this candidate: try the next.
    }
  }
  return '0.0.0';
}
