// The small helpers without external programs: ports, temp dirs, processes, log waits, cleanup.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cleanupTestbed,
  deepMerge,
  freePort,
  isAlive,
  parseAccessLog,
  pendingCleanupCount,
  readLogLines,
  startProcess,
  tempDir,
  waitForHttp,
} from '../src/index.js';

describe('testbed process lifecycle', () => {
  after(cleanupTestbed);

  it('hands out a port on 127.0.0.1 that can be bound', async () => {
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(port).to.be.greaterThan(0);
  });

  it('makes a temp dir under os.tmpdir() and removes it', async () => {
    const dir = await tempDir('lifecycle');
    expect(dir.path.startsWith(join(tmpdir(), 'testbed-lifecycle-'))).to.equal(true);
    expect(existsSync(dir.path)).to.equal(true);
    await dir.remove();
    expect(existsSync(dir.path)).to.equal(false);
  });

  it('captures a process output in its log file and kills its whole group on stop', async () => {
    const dir = await tempDir('lifecycle');
    const proc = await startProcess({
      command: 'sh',
      args: ['-c', 'sleep 300 & echo "child $!"; echo to-stderr >&2; wait'],
      logFile: join(dir.path, 'sh.log'),
    });
    const line = await proc.waitForLog(/^child \d+$/);
    const grandchild = Number(line.split(' ')[1]);
    expect(isAlive(grandchild)).to.equal(true);
    await proc.waitForLog('to-stderr');

    const exit = await proc.stop({ graceMs: 2_000 });

    expect(exit.signal).to.equal('SIGTERM');
    expect(proc.isRunning()).to.equal(false);
    expect(isAlive(grandchild)).to.equal(false);
    expect(await readLogLines(proc.logFile)).to.include('to-stderr');
  });

  it('stops a process a test forgot when cleanupTestbed runs', async () => {
    const dir = await tempDir('lifecycle');
    const proc = await startProcess({ command: 'sleep', args: ['300'], logFile: join(dir.path, 'sleep.log') });
    await cleanupTestbed();
    expect(isAlive(proc.pid)).to.equal(false);
    expect(existsSync(dir.path)).to.equal(false);
    expect(pendingCleanupCount()).to.equal(0);
  });

  it('gives up waiting for a URL at once when its server process died, quoting its log', async () => {
    const dir = await tempDir('lifecycle');
    const proc = await startProcess({ command: 'sh', args: ['-c', 'echo listen failed; exit 3'], logFile: join(dir.path, 'x.log') });
    const port = await freePort();
    const started = Date.now();
    const error = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 20_000, process: proc }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.contain('listen failed');
    expect(Date.now() - started).to.be.lessThan(5_000);
  });

  it('times out waiting for a URL nobody serves', async () => {
    const port = await freePort();
    const error = await waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 300 }).catch((err: unknown) => err);
    expect((error as Error).message).to.contain('did not answer');
  });

  it('reports a missing program as COMMAND_MISSING', async () => {
    const dir = await tempDir('lifecycle');
    const error = await startProcess({ command: 'no-such-program-here', args: [], logFile: join(dir.path, 'x.log') }).catch((err: unknown) => err);
    expect((error as { code?: string }).code).to.equal('COMMAND_MISSING');
  });

  it('parses distribution access log lines', () => {
    const entries = parseAccessLog(
      [
        'time="2026-11-22T04:28:17Z" level=info msg="response completed" http.request.method=GET',
        '127.0.0.1 - - [22/Nov/2026:04:28:17 +0000] "GET /v2/x/manifests/latest HTTP/1.1" 200 529 "" "containers/5.23.1 (github.com/containers/image)"',
        '127.0.0.1 - - [22/Nov/2026:04:28:17 +0000] "HEAD /v2/x/blobs/sha256:ab HTTP/1.1" 404 157 "" "docker/20.10.24"',
      ].join('\n'),
    );
    expect(entries.map((e) => [e.method, e.path, e.status])).to.deep.equal([
      ['GET', '/v2/x/manifests/latest', 200],
      ['HEAD', '/v2/x/blobs/sha256:ab', 404],
    ]);
    expect(entries[1]?.userAgent).to.equal('docker/20.10.24');
  });

  it('deep-merges config objects, with arrays replaced', () => {
    expect(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, e: 2 })).to.deep.equal({ a: { b: 1, c: [2] }, d: 1, e: 2 });
  });
});
