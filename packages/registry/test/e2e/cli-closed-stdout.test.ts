// A registry whose log reader went away (a closed stdout pipe) must still shut down on SIGTERM.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cleanupTestbed, CLI_PATH, freePort, tempDir } from '@private-registry/testbed';

describe('the registry process with a closed stdout @e2e', () => {
  after(cleanupTestbed);

  it('exits 0 on SIGTERM after its log reader has gone away', async () => {
    const dir = await tempDir('closed-stdout');
    const port = await freePort();
    const child = spawn(process.execPath, [CLI_PATH, 'serve'], {
      cwd: dir.path,
      // An explicit root: as root, the default would be the real /var/lib/registry.
      env: { ...process.env, REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`, REGISTRY_CONFIGURATION_PATH: '', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: dir.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      for await (const line of lines) if (line.includes('registry listening')) break;
      // The reader goes away, as when `| head` exits or a log shipper dies; nothing was written
      // since, so the first failed write is the shutdown's own log line.
      child.stdout.destroy();
      child.stderr.destroy();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      clearTimeout(timer);
      expect({ code, signal }).to.deep.equal({ code: 0, signal: null });
    } finally {
      child.kill('SIGKILL');
      await dir.remove();
    }
  });
});
