// The catalog's pages against the plain definition (every repository, sorted byte-wise, cut after `last`, n at a
// time), on names whose lexical order is not a depth-first walk's: "a-b" and "a.c" sort between "a" and "a/b".
// Every `last` (names, names that are not repositories, prefixes) and every n, on the filesystem, in memory and on
// S3 (s3rver: a bucket has no directories, only delimited listings of keys).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { cleanupTestbed, startS3rver, tempDir } from '@private-registry/testbed';
import { Catalog } from '../../src/services/catalog.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { MemoryDriver } from '../../src/storage/memory-driver.js';
import { S3Driver } from '../../src/storage/s3/s3-driver.js';
import { parseS3Settings } from '../../src/storage/s3/s3-settings.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';

const ROOT = '/docker/registry/v2/repositories';
const REPOSITORIES = [
  'a', 'a-b', 'a-b/x', 'a.c', 'a/b', 'a/b-c', 'a/b/c', 'a/b.d/e', 'a/b0', 'ab', 'ab-1/z', 'b', 'b0', 'ns/only/deep', 'ns/only-layers', 'z9',
];
/** Directories that are not repositories: a namespace, an upload-only directory, an empty one. */
const NOT_REPOSITORIES = ['ns', 'ns/only', 'uploads-only', 'empty'];

async function fill(driver: StorageDriver, onDisk?: string): Promise<void> {
  for (const name of REPOSITORIES) {
    const data = name.endsWith('layers') ? '_layers/sha256/00/link' : '_manifests/tags/latest/current/link';
    await driver.putContent(`${ROOT}/${name}/${data}`, Buffer.from('x'));
  }
  await driver.putContent(`${ROOT}/uploads-only/_uploads/u1/startedat`, Buffer.from('x'));
  if (onDisk !== undefined) await mkdir(join(onDisk, ROOT, 'empty'), { recursive: true });
}

function expected(last: string | undefined, accept: (name: string) => boolean = () => true): string[] {
  return [...REPOSITORIES].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)).filter((name) => (last === undefined || name > last) && accept(name));
}

async function s3Driver(): Promise<StorageDriver> {
  const s3 = await startS3rver({ silent: true });
  const bucket = await s3.createBucket();
  const settings = parseS3Settings({ accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: s3.endpoint, bucket }, () => undefined);
  return new S3Driver({ settings, redirectDisabled: true, tuning: { maxAttempts: 1 } });
}

for (const kind of ['filesystem', 'memory', 's3'] as const) {
  describe(`the catalog's pages in lexical order (${kind})${kind === 's3' ? ' @e2e' : ''}`, function () {
    let catalog: Catalog;
    if (kind === 's3') {
      this.timeout(120_000);
      after(cleanupTestbed);
    }

    before(async function () {
      if (kind === 's3') {
        const driver = await s3Driver();
        await fill(driver);
        catalog = new Catalog(driver);
      } else if (kind === 'filesystem') {
        const dir = (await tempDir('catalog-order')).path;
        const driver = new FilesystemDriver({ rootDirectory: dir });
        await fill(driver, dir);
        catalog = new Catalog(driver);
      } else {
        const driver = new MemoryDriver();
        await fill(driver);
        catalog = new Catalog(driver);
      }
    });

    it('lists every repository, and only repositories, sorted byte-wise', async function () {
      expect(await catalog.repositories()).to.deep.equal(expected(undefined));
      for (const name of NOT_REPOSITORIES) expect(await catalog.repositories()).to.not.include(name);
    });

    it('answers every page of every size after every `last` as the sorted list cut there', async function () {
      const lasts = [undefined, ...REPOSITORIES, ...NOT_REPOSITORIES, 'a-', 'a/', 'a/b/', 'a/b/c/d', 'a0', 'a-b/', 'aa', '0', 'zz', 'a/b-', 'ab-1', 'ns/only/'];
      for (const last of lasts) {
        const all = expected(last);
        for (let n = 1; n <= all.length + 1; n += 1) {
          const page = await catalog.page(n, last);
          expect(page.items, `n=${n} last=${last}`).to.deep.equal(all.slice(0, n));
          expect(page.more, `more, n=${n} last=${last}`).to.equal(all.length > n);
        }
      }
    });

    it('cuts pages after filtering, and says "more" only when an accepted name follows', async function () {
      const accept = (name: string): boolean => name.startsWith('a');
      const all = expected(undefined, accept);
      const first = await catalog.page(3, undefined, accept);
      expect(first).to.deep.equal({ items: all.slice(0, 3), more: true });
      const rest = await catalog.page(100, first.items[2], accept);
      expect(rest).to.deep.equal({ items: all.slice(3), more: false });
      expect(await catalog.page(all.length, undefined, accept)).to.deep.equal({ items: all, more: false });
    });

    it('answers n=0 with nothing', async function () {
      expect(await catalog.page(0)).to.deep.equal({ items: [], more: false });
    });
  });
}

describe('the catalog of an empty store', function () {
  it('is empty, with no repositories directory at all', async function () {
    const catalog = new Catalog(new FilesystemDriver({ rootDirectory: (await tempDir('catalog-empty')).path }));
    expect(await catalog.page(10)).to.deep.equal({ items: [], more: false });
    expect(await catalog.repositories()).to.deep.equal([]);
  });
});

describe('the catalog lists ahead, but not past the page', function () {
  /** A memory store whose listings are counted, each answered a moment later (as S3 answers), with how many ran at once. */
  class CountingDriver extends MemoryDriver {
    listed: string[] = [];
    running = 0;
    mostAtOnce = 0;
    override async list(path: string): Promise<string[]> {
      this.listed.push(path);
      this.running += 1;
      this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await super.list(path);
      } finally {
        this.running -= 1;
      }
    }
  }

  it('lists up to 8 directories ahead of the one it is at, and no repository beyond the one that says whether more follow', async function () {
    const driver = new CountingDriver();
    const names = Array.from({ length: 60 }, (_, i) => `flat-${String(i).padStart(2, '0')}`);
    for (const name of names) await driver.putContent(`${ROOT}/${name}/_manifests/tags/latest/current/link`, Buffer.from('x'));
    const catalog = new Catalog(driver);
    for (const [n, last] of [[20, undefined], [5, 'flat-30'], [1, 'flat-58']] as const) {
      driver.listed = [];
      driver.mostAtOnce = 0;
      const page = await catalog.page(n, last);
      const start = last === undefined ? 0 : names.indexOf(last) + 1;
      expect(page.items).to.deep.equal(names.slice(start, start + n));
      // The root, `last` itself (names under "last/" follow it), the n repositories shown and the one after
      // them; nothing further.
      const repositoriesListed = driver.listed.filter((path) => path !== ROOT).sort();
      const expectedListed = [...(last === undefined ? [] : [last]), ...names.slice(start, start + n + 1)].map((name) => `${ROOT}/${name}`);
      expect(repositoriesListed, `n=${n} last=${last}`).to.deep.equal(expectedListed);
      // The one the walk is at and the 8 after it.
      if (n >= 9) expect(driver.mostAtOnce, 'listings in flight together').to.equal(9);
    }
  });
});
