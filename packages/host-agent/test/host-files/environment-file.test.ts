import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cleanupTestbed } from '@private-registry/testbed';
import { EnvironmentFileWriter } from '../../src/host-files/environment-file.js';
import type { HostRoot } from '../../src/host-files/host-root.js';
import { freshRoot, httpTarget, viaStateFile } from './host-files-fixtures.js';

describe('the /etc/environment writer', function () {
  let root: HostRoot;
  let writer: EnvironmentFileWriter;
  let file: string;

  beforeEach(async function () {
    root = await freshRoot();
    writer = new EnvironmentFileWriter({ root });
    file = root.path('/etc/environment');
    await mkdir(dirname(file), { recursive: true });
  });
  after(cleanupTestbed);

  const read = (): Promise<string> => readFile(file, 'latin1');

  it('appends DOCKER_REPO with a trailing slash and keeps every other line byte for byte', async function () {
    const original = '# system-wide environment\nPATH="/usr/local/sbin:/usr/bin"\n\n  LANG=C.UTF-8\n';
    await writeFile(file, original);

    const outcome = await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(outcome.changed).to.equal(true);
    expect(outcome.files).to.deep.equal([file]);
    expect(await read()).to.equal(`${original}DOCKER_REPO=10.0.0.5:5000/\n`);
    expect(outcome.record).to.deep.equal({ path: '/etc/environment', line: 'DOCKER_REPO=10.0.0.5:5000/' });
  });

  it('writes IPv6 addresses in brackets', async function () {
    await writer.apply(httpTarget('fd00::5'), undefined);

    expect(await read()).to.equal('DOCKER_REPO=[fd00::5]:5000/\n');
  });

  it('switches targets in place, leaving the lines around ours where they were', async function () {
    await writeFile(file, 'A=1\n');
    const first = await writer.apply(httpTarget('10.0.0.5'), undefined);
    await writeFile(file, `${await read()}B=2\n`);

    const second = await writer.apply(httpTarget('10.0.0.6', 5001), first.record);

    expect(await read()).to.equal('A=1\nDOCKER_REPO=10.0.0.6:5001/\nB=2\n');
    expect(second.record).to.deep.equal({ path: '/etc/environment', line: 'DOCKER_REPO=10.0.0.6:5001/' });
  });

  it('removes exactly its line after an agent restart (the record round-tripped through JSON)', async function () {
    const original = 'A=1\n# keep me\nB=2\n';
    await writeFile(file, original);
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);

    const removed = await writer.apply(null, viaStateFile(added.record));

    expect(removed).to.deep.equal({ changed: true, record: undefined, files: [file] });
    expect(await read()).to.equal(original);
  });

  it('never takes 10.0.0.1 for 10.0.0.10: removal compares whole lines', async function () {
    await writeFile(file, 'DOCKER_REPO_BACKUP=10.0.0.1:5000/\n');
    const ours = await writer.apply(httpTarget('10.0.0.10'), undefined);
    const lookalike = { path: '/etc/environment', line: 'DOCKER_REPO=10.0.0.1:5000/' };

    const untouched = await writer.apply(null, lookalike);

    expect(untouched.changed).to.equal(false);
    expect(await read()).to.equal('DOCKER_REPO_BACKUP=10.0.0.1:5000/\nDOCKER_REPO=10.0.0.10:5000/\n');
    await writer.apply(null, ours.record);
    expect(await read()).to.equal('DOCKER_REPO_BACKUP=10.0.0.1:5000/\n');
  });

  it('replaces a foreign DOCKER_REPO line and puts it back on removal', async function () {
    const original = 'A=1\nDOCKER_REPO="registry.example.com/"\nB=2\n';
    await writeFile(file, original);

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    expect(await read()).to.equal('A=1\nDOCKER_REPO=10.0.0.5:5000/\nB=2\n');
    expect(added.record).to.deep.include({ replaced: 'DOCKER_REPO="registry.example.com/"' });
    const switched = await writer.apply(httpTarget('10.0.0.6'), viaStateFile(added.record));

    await writer.apply(null, viaStateFile(switched.record));

    expect(await read()).to.equal(original);
  });

  it('keeps a file without a final newline that way after add and remove', async function () {
    await writeFile(file, 'A=1\nB=2');

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    expect(await read()).to.equal('A=1\nB=2\nDOCKER_REPO=10.0.0.5:5000/\n');
    await writer.apply(null, added.record);

    expect(await read()).to.equal('A=1\nB=2');
  });

  it('keeps CRLF line endings and bytes that are not UTF-8', async function () {
    const original = Buffer.concat([Buffer.from('A=1\r\nNAME='), Buffer.from([0xe9, 0xff]), Buffer.from('\r\n')]);
    await writeFile(file, original);

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    await writer.apply(null, added.record);

    expect((await readFile(file)).equals(original)).to.equal(true);
  });

  it('creates a missing file and deletes it again when it only held our line', async function () {
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    expect(await read()).to.equal('DOCKER_REPO=10.0.0.5:5000/\n');

    const removed = await writer.apply(null, added.record);

    expect(removed.changed).to.equal(true);
    const exists = await readFile(file).then(() => true, () => false);
    expect(exists).to.equal(false);
  });

  it('leaves the file alone when our line was edited away by someone else', async function () {
    await writeFile(file, 'A=1\n');
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    await writeFile(file, 'A=1\nDOCKER_REPO=hand.edited:5000/\n');

    const removed = await writer.apply(null, added.record);

    expect(removed.changed).to.equal(false);
    expect(await read()).to.equal('A=1\nDOCKER_REPO=hand.edited:5000/\n');
  });

  it('reports our line and the effective DOCKER_REPO for the status command', async function () {
    await writeFile(file, 'DOCKER_REPO=old/\n');
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);

    const status = await writer.inspect(added.record);

    expect(status).to.deep.include({ writer: 'environment', path: '/etc/environment', exists: true, present: true, effective: '10.0.0.5:5000/' });
    expect(status['replaced']).to.equal('DOCKER_REPO=old/');
  });
});
