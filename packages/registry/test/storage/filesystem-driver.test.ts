// The filesystem driver against the shared conformance suite, plus what only a local directory
// can promise: registry:2's on-disk layout, and error messages that never reveal the root.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { PathNotFoundError, StorageError, StorageUnavailableError } from '../../src/storage/storage-errors.js';
import { readAll, rejectionOf, runDriverSuite } from './driver-suite.js';

async function makeRoot(): Promise<{ base: string; root: string }> {
  const base = await mkdtemp(join(tmpdir(), 'filesystem-driver-'));
  // The root does not exist yet: the driver must behave as an empty store until the first write.
  return { base, root: join(base, 'registry') };
}

runDriverSuite('FilesystemDriver', async () => {
  const { base, root } = await makeRoot();
  return { driver: new FilesystemDriver({ rootDirectory: root }), cleanup: () => rm(base, { recursive: true, force: true }) };
});

describe('FilesystemDriver on disk', function () {
  let base: string;
  let root: string;
  let driver: FilesystemDriver;
  const hex = 'ab'.padEnd(64, '0123456789abcdef');

  beforeEach(async function () {
    ({ base, root } = await makeRoot());
    driver = new FilesystemDriver({ rootDirectory: root });
  });
  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  it('reads a blob laid out by hand where registry:2 puts it', async function () {
    const dir = join(root, 'docker/registry/v2/blobs/sha256/ab', hex);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'data'), 'layer bytes');
    const path = `/docker/registry/v2/blobs/sha256/ab/${hex}/data`;
    expect((await driver.getContent(path)).toString()).to.equal('layer bytes');
    expect((await readAll(await driver.reader(path, 6))).toString()).to.equal('bytes');
    expect((await driver.stat(path)).size).to.equal(11);
    expect(await driver.list('/docker/registry/v2/blobs/sha256/ab')).to.deep.equal([`/docker/registry/v2/blobs/sha256/ab/${hex}`]);
  });

  it('writes a link file where registry:2 reads it', async function () {
    await driver.putContent('/docker/registry/v2/repositories/library/alpine/_manifests/tags/3/current/link', Buffer.from(`sha256:${hex}`));
    const onDisk = await readFile(join(root, 'docker/registry/v2/repositories/library/alpine/_manifests/tags/3/current/link'), 'utf8');
    expect(onDisk).to.equal(`sha256:${hex}`);
  });

  it('hides its temporary files, and names no storage path can address, from list and walk', async function () {
    await driver.putContent('/dir/file', Buffer.from('x'));
    await writeFile(join(root, 'dir/.~file.0123abcd'), 'left by a crash');
    await mkdir(join(root, 'lost+found'));
    expect(await driver.list('/dir')).to.deep.equal(['/dir/file']);
    const seen: string[] = [];
    await driver.walk('/', (info) => void seen.push(info.path));
    expect(seen).to.deep.equal(['/dir', '/dir/file']);
  });

  it('never puts the root directory in an error message', async function () {
    await driver.putContent('/a/file', Buffer.from('x'));
    // /dev/full fails every write with ENOSPC: a disk-full fault without filling a disk.
    await symlink('/dev/full', join(root, 'a/full'));
    const writer = await driver.writer('/a/full', false);
    await writer.write(Buffer.alloc(100 * 1024));
    const failing = await driver.writer('/a/full', false);
    // A fault surfaces at the latest on the write after the one that failed, when the next block is due.
    let failure: unknown;
    for (let i = 0; i < 64 && failure === undefined; i++) await failing.write(Buffer.alloc(64 * 1024)).catch((err: unknown) => (failure = err));
    await failing.close().catch(() => undefined);
    const errors: StorageError[] = [
      await rejectionOf(driver.getContent('/a/missing'), PathNotFoundError),
      await rejectionOf(driver.list('/a/file'), PathNotFoundError),
      await rejectionOf(driver.getContent('/a/file/below'), PathNotFoundError),
      await rejectionOf(driver.reader('/a/missing', 0), PathNotFoundError),
      await rejectionOf(driver.move('/a/missing', '/b'), PathNotFoundError),
      await rejectionOf(writer.commit(), StorageUnavailableError),
      await rejectionOf(Promise.reject(failure), StorageUnavailableError),
    ];
    for (const err of errors) {
      expect(err.message).to.not.include(base);
      expect(err.message).to.match(/^filesystem: /);
    }
    expect(errors.at(-2)?.message).to.include('ENOSPC').and.include('/a/full');
  });
});
