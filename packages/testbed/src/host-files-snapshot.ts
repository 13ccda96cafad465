// The bytes of every file under a test host's directory (its /etc, say), to prove a host was left as it was
// found: compared before and after with deep equality, a changed, added or removed file shows by its path.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Every regular file under `<root>/<dir>`, keyed by its path relative to `root`, with its bytes as latin1 text
 * (exact for any content). Files named in `ignore` (by base name: dockerd's own key.json) are left out.
 */
export async function hostFilesSnapshot(root: string, dir = 'etc', ignore: readonly string[] = ['key.json']): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || ignore.includes(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path)] = await readFile(path, 'latin1');
  }
  return files;
}
