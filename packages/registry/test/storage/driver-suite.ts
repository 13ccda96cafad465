// The conformance suite every storage driver must pass (filesystem, inmemory, S3): it tests the
// StorageDriver contract only, never a backend's internals, so one suite serves them all.
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { expect } from 'chai';
import type { FileInfo, StorageDriver } from '../../src/storage/storage-driver.js';
import { InvalidOffsetError, InvalidPathError, PathNotFoundError, StorageError } from '../../src/storage/storage-errors.js';

export type DriverFactory = () => Promise<{ driver: StorageDriver; cleanup: () => Promise<void> }>;

type ErrorClass = new (...args: never[]) => Error;

/** The error a promise rejects with, checked against the class (and the driver's name) it must have. */
export async function rejectionOf<E extends Error>(promise: Promise<unknown>, kind: new (...args: never[]) => E, driver?: StorageDriver): Promise<E> {
  try {
    await promise;
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(kind as ErrorClass);
    if (driver !== undefined && err instanceof StorageError) expect(err.driver).to.equal(driver.name);
    return err as E;
  }
  throw new Error(`expected a rejection with ${kind.name}`);
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const BAD_PATHS = ['', 'a/b', 'relative', '/a/../b', '/..', '/a/.', '/a//b', '//', '/a/b c', ' /a', '/a/b\n', '/a/b?x', '/a\\b', '/ä', '/a/b//'];

const CALLS: Record<string, (d: StorageDriver, path: string) => Promise<unknown>> = {
  getContent: (d, p) => d.getContent(p),
  putContent: (d, p) => d.putContent(p, Buffer.from('x')),
  reader: (d, p) => d.reader(p, 0),
  writer: (d, p) => d.writer(p, false),
  stat: (d, p) => d.stat(p),
  list: (d, p) => d.list(p),
  'move (source)': (d, p) => d.move(p, '/valid/dest'),
  'move (destination)': (d, p) => d.move('/valid/source', p),
  delete: (d, p) => d.delete(p),
  redirectUrl: (d, p) => d.redirectUrl(p, 'GET'),
  walk: (d, p) => d.walk(p, () => undefined),
};
/** Where a directory is meant, "/" is the root; anywhere else it is no file at all. */
const ROOT_ALLOWED = new Set(['list', 'delete', 'walk']);

export function runDriverSuite(label: string, makeDriver: DriverFactory): void {
  describe(label, function () {
    let driver: StorageDriver;
    let cleanup: () => Promise<void>;
    const put = (path: string, text: string) => driver.putContent(path, Buffer.from(text));
    const text = async (path: string) => (await driver.getContent(path)).toString();

    beforeEach(async function () {
      ({ driver, cleanup } = await makeDriver());
    });
    afterEach(async function () {
      await cleanup();
    });

    describe('content', function () {
      it('returns exactly the bytes that were put', async function () {
        const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
        await driver.putContent('/c/deep/er/file', bytes);
        expect((await driver.getContent('/c/deep/er/file')).equals(bytes)).to.equal(true);
      });

      it('replaces the content on a second put, shorter or longer', async function () {
        await put('/c/f', 'a long first version');
        await put('/c/f', 'short');
        expect(await text('/c/f')).to.equal('short');
        await put('/c/f', 'and a longer third one');
        expect(await text('/c/f')).to.equal('and a longer third one');
      });

      it('stores empty content as an empty file that exists', async function () {
        await driver.putContent('/c/empty', Buffer.alloc(0));
        expect((await driver.getContent('/c/empty')).length).to.equal(0);
        expect((await driver.stat('/c/empty')).size).to.equal(0);
      });

      it('never shows a concurrent reader part of an overwrite', async function () {
        const versions = [Buffer.alloc(256 * 1024, 'a'), Buffer.alloc(256 * 1024, 'b')] as const;
        await driver.putContent('/c/atomic', versions[0]);
        let writing = true;
        const torn: string[] = [];
        const writer = (async () => {
          for (let i = 1; i <= 40 && torn.length === 0; i++) await driver.putContent('/c/atomic', versions[i % 2]!);
          writing = false;
        })();
        const reader = async (): Promise<number> => {
          let reads = 0;
          // Records rather than throws, so the writer stops before the store is cleaned up.
          for (; writing && torn.length === 0; reads++) {
            const seen = reads % 2 === 0 ? await driver.getContent('/c/atomic') : await readAll(await driver.reader('/c/atomic'));
            if (!seen.equals(versions[0]) && !seen.equals(versions[1])) torn.push(`read ${reads}: ${seen.length} bytes`);
          }
          return reads;
        };
        const [, ...reads] = await Promise.all([writer, reader(), reader(), reader()]);
        expect(torn, 'a reader saw a partial file').to.deep.equal([]);
        expect(reads.reduce((a, b) => a + b)).to.be.greaterThan(0);
      });

      it('reports a missing file as PathNotFound', async function () {
        const err = await rejectionOf(driver.getContent('/c/missing'), PathNotFoundError, driver);
        expect(err.code).to.equal('PATH_NOT_FOUND');
        expect(err.path).to.equal('/c/missing');
      });

      it('reports a directory read as a file as PathNotFound', async function () {
        await put('/c/dir/file', 'x');
        await rejectionOf(driver.getContent('/c/dir'), PathNotFoundError, driver);
        await rejectionOf(driver.reader('/c/dir'), PathNotFoundError, driver);
      });
    });

    describe('reader', function () {
      beforeEach(async function () {
        await put('/r/file', '0123456789');
      });

      it('streams a whole file from the start', async function () {
        expect((await readAll(await driver.reader('/r/file'))).toString()).to.equal('0123456789');
      });

      it('streams from an offset to the end', async function () {
        expect((await readAll(await driver.reader('/r/file', 4))).toString()).to.equal('456789');
      });

      it('streams length bytes from an offset, stopping at the end of the file', async function () {
        expect((await readAll(await driver.reader('/r/file', 2, 3))).toString()).to.equal('234');
        expect((await readAll(await driver.reader('/r/file', 7, 100))).toString()).to.equal('789');
        expect((await readAll(await driver.reader('/r/file', 5, 0))).length).to.equal(0);
      });

      it('gives an empty stream at an offset equal to the size', async function () {
        expect((await readAll(await driver.reader('/r/file', 10))).length).to.equal(0);
      });

      it('rejects an offset beyond the size, or negative, with InvalidOffset', async function () {
        const err = await rejectionOf(driver.reader('/r/file', 11), InvalidOffsetError, driver);
        expect(err.offset).to.equal(11);
        await rejectionOf(driver.reader('/r/file', -1), InvalidOffsetError, driver);
      });

      it('reports a missing file as PathNotFound before any stream exists', async function () {
        await rejectionOf(driver.reader('/r/missing', 0), PathNotFoundError, driver);
      });
    });

    describe('writer', function () {
      it('appends after a close and a reopen, and commits the concatenation', async function () {
        const first = await driver.writer('/w/upload/data', false);
        expect(first.size).to.equal(0);
        for (const part of ['alpha-', 'beta-', 'gamma-']) await first.write(Buffer.from(part));
        expect(first.size).to.equal(17);
        await first.close();
        expect(await text('/w/upload/data')).to.equal('alpha-beta-gamma-');
        const second = await driver.writer('/w/upload/data', true);
        expect(second.size).to.equal(17);
        await second.write(Buffer.from('delta'));
        expect(second.size).to.equal(22);
        await second.commit();
        expect(await text('/w/upload/data')).to.equal('alpha-beta-gamma-delta');
        expect((await driver.stat('/w/upload/data')).size).to.equal(22);
      });

      it('truncates existing content when opened without append', async function () {
        await put('/w/f', 'old content');
        const writer = await driver.writer('/w/f', false);
        expect(writer.size).to.equal(0);
        await writer.write(Buffer.from('new'));
        await writer.commit();
        expect(await text('/w/f')).to.equal('new');
      });

      it('leaves an empty file when committed with nothing written', async function () {
        await (await driver.writer('/w/nothing', false)).commit();
        expect((await driver.stat('/w/nothing')).size).to.equal(0);
      });

      it('removes everything it wrote when cancelled', async function () {
        const first = await driver.writer('/w/cancelled', false);
        await first.write(Buffer.from('kept for a while'));
        await first.close();
        const second = await driver.writer('/w/cancelled', true);
        await second.write(Buffer.alloc(3 * 1024 * 1024, 1));
        await second.cancel();
        await rejectionOf(driver.getContent('/w/cancelled'), PathNotFoundError, driver);
      });

      it('refuses writes once committed', async function () {
        const writer = await driver.writer('/w/done', false);
        await writer.commit();
        await rejectionOf(writer.write(Buffer.from('late')), Error);
      });

      it('streams 64 MiB in and out with the same sha256', async function () {
        this.timeout(120_000);
        const written = createHash('sha256');
        const writer = await driver.writer('/w/big/data', false);
        for (let i = 0; i < 1024; i++) {
          const chunk = randomBytes(64 * 1024);
          written.update(chunk);
          await writer.write(chunk);
        }
        await writer.commit();
        expect((await driver.stat('/w/big/data')).size).to.equal(64 * 1024 * 1024);
        const read = createHash('sha256');
        let bytes = 0;
        for await (const chunk of await driver.reader('/w/big/data')) {
          read.update(chunk as Uint8Array);
          bytes += (chunk as Uint8Array).length;
        }
        expect(bytes).to.equal(64 * 1024 * 1024);
        expect(read.digest('hex')).to.equal(written.digest('hex'));
      });

      it('keeps concurrent writers to different paths apart', async function () {
        const writers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => driver.writer(`/w/many/${i}`, false)));
        for (let round = 0; round < 50; round++) {
          await Promise.all(writers.map((w, i) => w.write(Buffer.alloc(40_000, `${i}${round % 10}`))));
        }
        await Promise.all(writers.map((w) => w.commit()));
        for (let i = 0; i < writers.length; i++) {
          const content = await driver.getContent(`/w/many/${i}`);
          expect(content.length).to.equal(50 * 40_000);
          const expected = Buffer.concat(Array.from({ length: 50 }, (_, round) => Buffer.alloc(40_000, `${i}${round % 10}`)));
          expect(content.equals(expected), `writer ${i}`).to.equal(true);
        }
      });
    });

    describe('stat', function () {
      it('describes a file by its size and a recent modification time', async function () {
        await put('/s/file', 'twelve bytes');
        const info = await driver.stat('/s/file');
        expect(info).to.include({ path: '/s/file', size: 12, isDir: false });
        expect(Math.abs(info.modTime.getTime() - Date.now())).to.be.below(60_000);
      });

      it('describes a directory as a directory', async function () {
        await put('/s/dir/file', 'x');
        const info = await driver.stat('/s/dir');
        expect(info).to.include({ path: '/s/dir', isDir: true, size: 0 });
        expect(info.modTime).to.be.instanceOf(Date);
      });

      it('reports a missing path as PathNotFound', async function () {
        await rejectionOf(driver.stat('/s/missing'), PathNotFoundError, driver);
      });
    });

    describe('list', function () {
      it('lists the direct children of a directory, files and directories alike, sorted', async function () {
        for (const path of ['/d/b', '/d/a/x', '/d/B', '/d/a.b', '/d/a-b', '/d/_x/deep/er', '/d/0', '/other/y']) await put(path, path);
        expect(await driver.list('/d')).to.deep.equal(['/d/0', '/d/B', '/d/_x', '/d/a', '/d/a-b', '/d/a.b', '/d/b']);
        expect(await driver.list('/d/_x')).to.deep.equal(['/d/_x/deep']);
      });

      it('lists the root, and an empty store as nothing', async function () {
        expect(await driver.list('/')).to.deep.equal([]);
        await put('/top/file', 'x');
        await put('/alpha', 'x');
        expect(await driver.list('/')).to.deep.equal(['/alpha', '/top']);
      });

      it('reports a missing directory, or a file, as PathNotFound', async function () {
        await put('/l/file', 'x');
        await rejectionOf(driver.list('/l/missing'), PathNotFoundError, driver);
        await rejectionOf(driver.list('/l/file'), PathNotFoundError, driver);
      });
    });

    describe('move', function () {
      it('moves a file to a new path, creating its parents, and removes the source', async function () {
        await put('/m/uploads/1/data', 'blob');
        await driver.move('/m/uploads/1/data', '/m/blobs/ab/abcd/data');
        expect(await text('/m/blobs/ab/abcd/data')).to.equal('blob');
        await rejectionOf(driver.stat('/m/uploads/1/data'), PathNotFoundError, driver);
      });

      it('replaces an existing destination', async function () {
        await put('/m/source', 'new');
        await put('/m/dest', 'old and longer');
        await driver.move('/m/source', '/m/dest');
        expect(await text('/m/dest')).to.equal('new');
        await rejectionOf(driver.getContent('/m/source'), PathNotFoundError, driver);
      });

      it('reports a missing source as PathNotFound and leaves no trace', async function () {
        await put('/m/dest', 'untouched');
        await rejectionOf(driver.move('/m/missing', '/m/dest'), PathNotFoundError, driver);
        await rejectionOf(driver.move('/m/missing', '/m/new/deep/dest'), PathNotFoundError, driver);
        expect(await text('/m/dest')).to.equal('untouched');
        await rejectionOf(driver.stat('/m/new'), PathNotFoundError, driver);
      });
    });

    describe('delete', function () {
      it('deletes a file and keeps its siblings', async function () {
        await put('/x/a', 'a');
        await put('/x/b', 'b');
        await driver.delete('/x/a');
        await rejectionOf(driver.getContent('/x/a'), PathNotFoundError, driver);
        expect(await driver.list('/x')).to.deep.equal(['/x/b']);
      });

      it('deletes a directory with its whole tree', async function () {
        for (const path of ['/x/tree/a', '/x/tree/sub/b', '/x/tree/sub/deeper/c', '/x/treehouse']) await put(path, 'x');
        await driver.delete('/x/tree');
        for (const path of ['/x/tree', '/x/tree/a', '/x/tree/sub', '/x/tree/sub/deeper/c']) {
          await rejectionOf(driver.stat(path), PathNotFoundError, driver);
        }
        expect(await text('/x/treehouse')).to.equal('x');
      });

      it('deletes everything when given the root', async function () {
        await put('/one/a', 'a');
        await put('/two', 'b');
        await driver.delete('/');
        expect(await driver.list('/')).to.deep.equal([]);
      });

      it('reports a missing path as PathNotFound', async function () {
        await rejectionOf(driver.delete('/x/missing'), PathNotFoundError, driver);
      });
    });

    describe('walk', function () {
      beforeEach(async function () {
        for (const path of ['/t/c/d/e', '/t/a/2', '/t/b', '/t/a/1', '/t/a/0/z', '/u/other']) await put(path, path);
      });
      const walked = async (path: string, enterDir?: (info: FileInfo) => boolean): Promise<FileInfo[]> => {
        const seen: FileInfo[] = [];
        await driver.walk(path, (info) => void seen.push(info), enterDir === undefined ? {} : { enterDir });
        return seen;
      };

      it('visits every file and directory under a path, depth first in lexical order', async function () {
        const seen = await walked('/t');
        expect(seen.map((i) => i.path)).to.deep.equal(['/t/a', '/t/a/0', '/t/a/0/z', '/t/a/1', '/t/a/2', '/t/b', '/t/c', '/t/c/d', '/t/c/d/e']);
        expect(seen.filter((i) => i.isDir).map((i) => i.path)).to.deep.equal(['/t/a', '/t/a/0', '/t/c', '/t/c/d']);
        expect(seen.find((i) => i.path === '/t/c/d/e')?.size).to.equal('/t/c/d/e'.length);
      });

      it('visits a directory but not its children when enterDir says no', async function () {
        const asked: string[] = [];
        const seen = await walked('/t', (info) => (asked.push(info.path), info.path !== '/t/a'));
        expect(seen.map((i) => i.path)).to.deep.equal(['/t/a', '/t/b', '/t/c', '/t/c/d', '/t/c/d/e']);
        expect(asked).to.deep.equal(['/t/a', '/t/c', '/t/c/d']);
      });

      it('waits for an asynchronous visitor before going on', async function () {
        const events: string[] = [];
        await driver.walk('/t/a', async (info) => {
          events.push(`start ${info.path}`);
          await new Promise((done) => setTimeout(done, 2));
          events.push(`end ${info.path}`);
        });
        expect(events.slice(0, 4)).to.deep.equal(['start /t/a/0', 'end /t/a/0', 'start /t/a/0/z', 'end /t/a/0/z']);
        expect(events).to.have.length(8);
      });

      it('walks the whole store from the root', async function () {
        expect((await walked('/')).map((i) => i.path)).to.include.members(['/t', '/t/c/d/e', '/u', '/u/other']);
      });

      it('reports a missing path as PathNotFound', async function () {
        await rejectionOf(walked('/t/missing'), PathNotFoundError, driver);
      });

      it('walkFiles (where the driver has it) visits every file, with size and time, and nothing for a missing path', async function () {
        if (driver.walkFiles === undefined) this.skip();
        const files: FileInfo[] = [];
        await driver.walkFiles?.('/t', (info) => void files.push(info));
        expect(files.map((i) => i.path).sort()).to.deep.equal(['/t/a/0/z', '/t/a/1', '/t/a/2', '/t/b', '/t/c/d/e']);
        expect(files.every((i) => !i.isDir && i.modTime instanceof Date)).to.equal(true);
        expect(files.find((i) => i.path === '/t/c/d/e')?.size).to.equal('/t/c/d/e'.length);
        const none: FileInfo[] = [];
        await driver.walkFiles?.('/t/missing', (info) => void none.push(info));
        expect(none).to.deep.equal([]);
      });
    });

    describe('paths', function () {
      beforeEach(async function () {
        await put('/valid/source', 'still here');
      });

      for (const [method, call] of Object.entries(CALLS)) {
        it(`rejects invalid paths in ${method} with InvalidPath and touches nothing`, async function () {
          const bad = ROOT_ALLOWED.has(method) ? BAD_PATHS : [...BAD_PATHS, '/'];
          for (const path of bad) {
            const err = await rejectionOf(call(driver, path), InvalidPathError, driver);
            expect(err.code, JSON.stringify(path)).to.equal('INVALID_PATH');
          }
          expect(await driver.list('/')).to.deep.equal(['/valid']);
          expect(await text('/valid/source')).to.equal('still here');
        });
      }

      it('treats a trailing slash as the same path', async function () {
        expect((await driver.stat('/valid/')).path).to.equal('/valid');
        expect(await driver.list('/valid/')).to.deep.equal(['/valid/source']);
      });

      it('offers either no redirect or an http(s) URL', async function () {
        const url = await driver.redirectUrl('/valid/source', 'GET');
        expect(url === null || /^https?:\/\//.test(url), String(url)).to.equal(true);
      });
    });
  });
}
