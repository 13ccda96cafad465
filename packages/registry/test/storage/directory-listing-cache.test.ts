import { expect } from 'chai';
import { mkdtemp, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';

describe('filesystem listings cached by directory mtime', () => {
  let root: string;
  let driver: FilesystemDriver;
  const dir = '/docker/registry/v2/repositories/app/_manifests/tags';

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'listing-cache-'));
    driver = new FilesystemDriver({ rootDirectory: root });
    for (const tag of ['a', 'b']) await mkdir(join(root, dir, tag), { recursive: true });
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** Sets the directory's mtime to one fixed minute ago (the same instant on every call in a test). */
  let then: Date;
  beforeEach(() => {
    then = new Date(Date.now() - 60_000);
  });
  async function age(): Promise<void> {
    await utimes(join(root, dir), then, then);
  }

  it('sees an entry added after a listing of a settled directory was cached', async () => {
    await age();
    expect(await driver.list(dir)).to.deep.equal([`${dir}/a`, `${dir}/b`]);
    await mkdir(join(root, dir, 'c'));
    expect(await driver.list(dir)).to.deep.equal([`${dir}/a`, `${dir}/b`, `${dir}/c`]);
  });

  it('sees an entry removed after a listing was cached', async () => {
    await age();
    await driver.list(dir);
    await rm(join(root, dir, 'a'), { recursive: true });
    expect(await driver.list(dir)).to.deep.equal([`${dir}/b`]);
  });

  it('serves a settled directory from the cache while its mtime is unchanged', async () => {
    await age();
    await driver.list(dir);
    // An entry slipped in behind the directory's back (mtime restored): the cache answers as before,
    // which shows the listing really came from the cache and not from a second readdir.
    await writeFile(join(root, dir, 'ghost'), '');
    await age();
    expect(await driver.list(dir)).to.deep.equal([`${dir}/a`, `${dir}/b`]);
  });

  it('never caches a directory changed within the last two seconds (an entry may share its timestamp tick)', async () => {
    const recent = new Date(Date.now() - 500);
    await utimes(join(root, dir), recent, recent);
    await driver.list(dir);
    // A second entry in the same timestamp tick leaves the mtime as it was.
    await writeFile(join(root, dir, 'late'), '');
    await utimes(join(root, dir), recent, recent);
    expect(await driver.list(dir)).to.include(`${dir}/late`);
  });

  it('answers PathNotFound once a cached directory is deleted', async () => {
    await age();
    await driver.list(dir);
    await rm(join(root, dir), { recursive: true });
    await driver.list(dir).then(
      () => expect.fail('listed a deleted directory'),
      (err: { code?: string }) => expect(err.code).to.equal('PATH_NOT_FOUND'),
    );
  });
});
