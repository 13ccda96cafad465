// Temporary directories under os.tmpdir(), named testbed-<prefix>-XXXXXX so a stray one is easy to trace,
// removed by remove() or by cleanupTestbed() (unless TESTBED_KEEP=1).

import { mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerCleanup } from './cleanup-registry.js';
import { keepArtifacts } from './keep-artifacts.js';

export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function tempDir(prefix: string): Promise<TempDir> {
  const clean = prefix.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/-+$/, '');
  const path = await mkdtemp(join(tmpdir(), `testbed-${clean}-`));
  let removed = false;
  const unregister = registerCleanup({
    name: `temp dir ${path}`,
    stop: () => remove(),
    stopSync: () => {
      if (!keepArtifacts()) rmSync(path, { recursive: true, force: true });
    },
  });
  async function remove(): Promise<void> {
    if (removed) return;
    removed = true;
    unregister();
    if (keepArtifacts()) {
      process.stderr.write(`testbed: keeping ${path} (TESTBED_KEEP)\n`);
      return;
    }
    await rm(path, { recursive: true, force: true, maxRetries: 3 });
  }
  return { path, remove };
}
