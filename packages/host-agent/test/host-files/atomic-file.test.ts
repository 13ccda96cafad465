import { expect } from 'chai';
import { chmod, chown, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { readIfExists, removeFile, writeFileAtomic } from '../../src/host-files/atomic-file.js';
import { fileIdentity, tempFilesIn } from './host-files-fixtures.js';

describe('atomic host file writes', function () {
  let dir: string;
  beforeEach(async function () {
    dir = (await tempDir('atomic-file')).path;
  });
  after(cleanupTestbed);

  it('reads a missing file as undefined', async function () {
    expect(await readIfExists(join(dir, 'absent'))).to.equal(undefined);
  });

  it('creates missing parent directories and leaves no temp file behind', async function () {
    const path = join(dir, 'etc', 'docker', 'daemon.json');

    expect(await writeFileAtomic(path, '{}\n')).to.equal(true);

    expect(await readFile(path, 'utf8')).to.equal('{}\n');
    expect((await stat(path)).mode & 0o777).to.equal(0o644);
    expect(await tempFilesIn(join(dir, 'etc', 'docker'))).to.deep.equal([]);
  });

  it('does not touch a file that already holds the content: same inode, same mtime', async function () {
    const path = join(dir, 'environment');
    await writeFileAtomic(path, 'A=1\n');
    const before = await fileIdentity(path);

    expect(await writeFileAtomic(path, 'A=1\n')).to.equal(false);

    expect(await fileIdentity(path)).to.deep.equal(before);
  });

  it('replaces a changed file by rename (a new inode), keeping its mode and owner', async function () {
    const path = join(dir, 'environment');
    await writeFile(path, 'A=1\n');
    await chmod(path, 0o600);
    await chown(path, 1234, 5678);
    const before = await stat(path);

    expect(await writeFileAtomic(path, 'A=2\n')).to.equal(true);

    const after = await stat(path);
    expect(after.ino).to.not.equal(before.ino);
    expect(after.mode & 0o7777).to.equal(0o600);
    expect([after.uid, after.gid]).to.deep.equal([1234, 5678]);
    expect(await readFile(path, 'utf8')).to.equal('A=2\n');
    expect(await tempFilesIn(dir)).to.deep.equal([]);
  });

  it('round-trips bytes that are not UTF-8 when read and written as latin1', async function () {
    const path = join(dir, 'environment');
    const bytes = Buffer.from([0x4e, 0x41, 0x4d, 0x45, 0x3d, 0xe9, 0xff, 0x0a]);
    await writeFile(path, bytes);

    const text = await readIfExists(path, 'latin1');
    await writeFileAtomic(path, `${text ?? ''}B=1\n`, { encoding: 'latin1' });

    expect((await readFile(path)).subarray(0, bytes.length).equals(bytes)).to.equal(true);
  });

  it('removes a file, and reports a missing one as not removed', async function () {
    const path = join(dir, 'conf.d', 'ours.conf');
    await mkdir(join(dir, 'conf.d'));
    await writeFile(path, 'x');

    expect(await removeFile(path)).to.equal(true);
    expect(await removeFile(path)).to.equal(false);
    expect(await readIfExists(path)).to.equal(undefined);
  });

  it('cleans up its temp file when the write fails', async function () {
    // A directory where the file should be: rename over it fails after the temp file was written.
    const path = join(dir, 'taken');
    await mkdir(join(path, 'inside'), { recursive: true });

    const failure = await writeFileAtomic(path, 'x').then(
      () => undefined,
      (err: unknown) => (err as NodeJS.ErrnoException).code,
    );

    expect(failure).to.be.oneOf(['EISDIR', 'ENOTEMPTY', 'EEXIST']);
    expect(await tempFilesIn(dir)).to.deep.equal([]);
  });
});
