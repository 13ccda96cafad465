// Where the registry stores with no configured root directory, through the real CLI: the XDG data
// directory for a user who may not write /var/lib (run as nobody when the tests run as root, so no test
// ever writes the real /var/lib/registry), /var/lib/registry for root (shown by `config check`, which
// writes nothing), and a relative rootdirectory made absolute. The startup log shows the absolute path.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, freePort, tempDir, waitForHttp } from '@private-registry/testbed';
import { systemProbe, resolveDefaultRootDirectory } from '../../src/config/index.js';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { blobDataPath, runCli, spawnCli } from './interop-helpers.js';
import { sharedDir, spawnCliUnprivileged } from './config-cli-helpers.js';

/** The JSON log line whose msg starts with `prefix`. */
async function logEntry(logFile: string, prefix: string): Promise<Record<string, unknown>> {
  const lines = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l.startsWith('{'));
  const entry = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => String(e.msg).startsWith(prefix));
  if (entry === undefined) throw new Error(`no "${prefix}" line in:\n${lines.join('\n')}`);
  return entry;
}

describe('the default root directory through the CLI @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('stores under $XDG_DATA_HOME/private-registry for a user who may not write /var/lib, and logs that absolute path', async function () {
    if (process.getuid?.() !== 0 && systemProbe(process.env).writableDirectory('/var/lib')) this.skip();
    const cwd = await sharedDir('cfg-xdg-cwd');
    const xdg = await sharedDir('cfg-xdg-data');
    const port = await freePort();
    const child = await spawnCliUnprivileged(['serve'], { cwd, env: { XDG_DATA_HOME: xdg, HOME: '/nonexistent', REGISTRY_HTTP_ADDR: `127.0.0.1:${port}` } });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 15_000, process: child });

    const root = join(xdg, 'private-registry');
    expect((await logEntry(join(cwd, 'registry.log'), 'registry listening')).root).to.equal(root);
    const blob = randomBlob(2048);
    expect((await new RegistryApiClient(`http://127.0.0.1:${port}`).postBlob('cfg/xdg', blob)).status).to.equal(201);
    expect((await readFile(blobDataPath(root, blob.digest))).equals(blob.bytes)).to.equal(true);
    expect(existsSync(join(cwd, 'data')), 'nothing under the working directory').to.equal(false);
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('chooses /var/lib/registry for a process that may create it (root), as config check shows without writing there', async function () {
    const expected = resolveDefaultRootDirectory(systemProbe(process.env));
    if (process.getuid?.() === 0) expect(expected).to.equal('/var/lib/registry');
    const existedBefore = existsSync('/var/lib/registry');
    const cwd = (await tempDir('cfg-root-check')).path;
    const result = await runCli(['config', 'check'], { cwd });
    expect(result.exitCode, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`    rootdirectory: ${expected}  # default\n`);
    expect(existsSync('/var/lib/registry')).to.equal(existedBefore);
  });

  it('makes a relative rootdirectory absolute from the working directory and logs it so', async function () {
    const cwd = (await tempDir('cfg-relative')).path;
    const port = await freePort();
    await writeFile(join(cwd, 'config.yml'), `version: 0.1\nhttp:\n  addr: 127.0.0.1:${port}\nstorage:\n  filesystem:\n    rootdirectory: ./store\n`);
    const child = await spawnCli(['serve', 'config.yml'], { cwd });
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 15_000, process: child });
    expect((await logEntry(join(cwd, 'registry.log'), 'registry listening')).root).to.equal(join(cwd, 'store'));
    expect(await child.stop()).to.deep.equal({ code: 0, signal: null });
  });
});
