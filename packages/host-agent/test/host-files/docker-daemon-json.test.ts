import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cleanupTestbed } from '@private-registry/testbed';
import { DockerDaemonJsonWriter } from '../../src/host-files/docker-daemon-json.js';
import { HostFileError } from '../../src/host-files/host-file-error.js';
import type { HostRoot } from '../../src/host-files/host-root.js';
import { fileIdentity, freshRoot, httpsTarget, httpTarget, viaStateFile } from './host-files-fixtures.js';

describe("the dockerd daemon.json writer", function () {
  let root: HostRoot;
  let writer: DockerDaemonJsonWriter;
  let file: string;

  beforeEach(async function () {
    root = await freshRoot();
    writer = new DockerDaemonJsonWriter({ root });
    file = root.path('/etc/docker/daemon.json');
    await mkdir(dirname(file), { recursive: true });
  });
  after(cleanupTestbed);

  const readJson = async (): Promise<Record<string, unknown>> => JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;

  it('puts our mirror first and an http address into insecure-registries, keeping every other key', async function () {
    await writeFile(file, JSON.stringify({ 'log-driver': 'journald', 'registry-mirrors': ['https://mirror.example.com'], 'insecure-registries': ['10.9.0.0/16'], 'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } } }, null, 4));

    const outcome = await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(outcome.changed).to.equal(true);
    expect(await readJson()).to.deep.equal({
      'log-driver': 'journald',
      'registry-mirrors': ['http://10.0.0.5:5000', 'https://mirror.example.com'],
      'insecure-registries': ['10.9.0.0/16', '10.0.0.5:5000'],
      'default-ulimits': { nofile: { Name: 'nofile', Hard: 64000, Soft: 64000 } },
    });
    // The file's own four-space indentation is kept.
    expect(await readFile(file, 'utf8')).to.match(/^\{\n {4}"log-driver"/);
  });

  it('creates a missing daemon.json with just our entries', async function () {
    await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(await readJson()).to.deep.equal({ 'registry-mirrors': ['http://10.0.0.5:5000'], 'insecure-registries': ['10.0.0.5:5000'] });
  });

  it('adds nothing to insecure-registries for an https target', async function () {
    const outcome = await writer.apply(httpsTarget('registry.internal', 443), undefined);

    expect(await readJson()).to.deep.equal({ 'registry-mirrors': ['https://registry.internal:443'] });
    expect(outcome.record).to.deep.equal({
      path: '/etc/docker/daemon.json',
      mirror: 'https://registry.internal:443',
      mirrorAdded: true,
      createdFile: true,
      mirrorsKeyAdded: true,
      insecureKeyAdded: true,
    });
  });

  it('switches targets in one write: the old entries out, the new ones in', async function () {
    await writeFile(file, '{"registry-mirrors": ["https://mirror.example.com"]}\n');
    const first = await writer.apply(httpTarget('10.0.0.5'), undefined);

    const second = await writer.apply(httpTarget('10.0.0.6'), viaStateFile(first.record));

    expect(second.files).to.deep.equal([file]);
    expect(await readJson()).to.deep.equal({
      'registry-mirrors': ['http://10.0.0.6:5000', 'https://mirror.example.com'],
      'insecure-registries': ['10.0.0.6:5000'],
    });
  });

  it('removes keys it added in two steps: [] for the reload, then the file byte for byte as it was', async function () {
    const original = '{\n    "debug": true,\n    "log-opts": {"max-size": "10m"}\n}\n';
    await writeFile(file, original);
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);

    const first = await writer.apply(null, viaStateFile(added.record));
    expect(first.again, 'a second step after the reload').to.equal(true);
    expect(first.record).to.include({ clearing: true });
    expect(await readJson()).to.deep.equal({ debug: true, 'log-opts': { 'max-size': '10m' }, 'registry-mirrors': [], 'insecure-registries': [] });

    const second = await writer.apply(null, viaStateFile(first.record));
    expect(second.record).to.equal(undefined);
    expect(second.again).to.equal(undefined);
    expect(await readFile(file, 'utf8')).to.equal(original);
  });

  it('deletes a daemon.json it created, after the [] step', async function () {
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const first = await writer.apply(null, viaStateFile(added.record));
    expect(await readJson()).to.deep.equal({ 'registry-mirrors': [], 'insecure-registries': [] });
    await writer.apply(null, viaStateFile(first.record));
    expect(await readFile(file, 'utf8').catch(() => 'absent')).to.equal('absent');
  });

  it('keeps a key that was there before us, emptied or with the entries that were there', async function () {
    await writeFile(file, '{"registry-mirrors": [], "insecure-registries": ["10.9.0.0/16"]}');
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const removed = await writer.apply(null, viaStateFile(added.record));
    expect(removed.again).to.equal(undefined);
    expect(removed.record).to.equal(undefined);
    expect(await readJson()).to.deep.equal({ 'registry-mirrors': [], 'insecure-registries': ['10.9.0.0/16'] });
  });

  it('keeps to the old contract for a record from an older agent: our entries out, the keys left as []', async function () {
    await writeFile(file, JSON.stringify({ debug: true, 'registry-mirrors': ['http://10.0.0.5:5000'], 'insecure-registries': ['10.0.0.5:5000'] }));
    const legacy = { path: '/etc/docker/daemon.json', mirror: 'http://10.0.0.5:5000', mirrorAdded: true, insecure: '10.0.0.5:5000', insecureAdded: true };
    const removed = await writer.apply(null, legacy);
    expect(removed.record).to.equal(undefined);
    expect(await readJson()).to.deep.equal({ debug: true, 'registry-mirrors': [], 'insecure-registries': [] });
  });

  it('leaves alone the keys that dockerd flags set, still writing the others, and says why', async function () {
    await writeFile(file, '{"debug": true}\n');
    const flagged = new DockerDaemonJsonWriter({ root, flagConflicts: () => Promise.resolve({ 'registry-mirrors': "--registry-mirror in dockerd's command line (pid 42)" }) });
    const added = await flagged.apply(httpTarget('10.0.0.5'), undefined);
    expect(await readJson()).to.deep.equal({ debug: true, 'insecure-registries': ['10.0.0.5:5000'] });
    expect(added.record).to.not.have.property('mirror');
    expect(added.record?.['skipped']).to.deep.equal({ 'registry-mirrors': "--registry-mirror in dockerd's command line (pid 42)" });
    expect(await flagged.inspect(added.record)).to.deep.include({
      skipped: { 'registry-mirrors': "left alone: dockerd sets it with --registry-mirror in dockerd's command line (pid 42)" },
    });

    const first = await flagged.apply(null, viaStateFile(added.record));
    await flagged.apply(null, viaStateFile(first.record));
    expect(await readFile(file, 'utf8')).to.equal('{"debug": true}\n');
  });

  it('neither duplicates nor, on removal, takes away a mirror that was there before us', async function () {
    await writeFile(file, JSON.stringify({ 'registry-mirrors': ['https://mirror.example.com', 'http://10.0.0.5:5000/'], 'insecure-registries': ['10.0.0.5:5000'] }));

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    expect(await readJson()).to.deep.equal({ 'registry-mirrors': ['http://10.0.0.5:5000/', 'https://mirror.example.com'], 'insecure-registries': ['10.0.0.5:5000'] });
    expect(added.record).to.deep.include({ mirrorAdded: false, insecureAdded: false });
    await writer.apply(null, added.record);

    expect(await readJson()).to.deep.equal({ 'registry-mirrors': ['http://10.0.0.5:5000/', 'https://mirror.example.com'], 'insecure-registries': ['10.0.0.5:5000'] });
  });

  it('refuses a daemon.json that is not valid JSON and leaves it untouched', async function () {
    await writeFile(file, '{ "debug": true, }');
    const before = await fileIdentity(file);

    const failure = await writer.apply(httpTarget('10.0.0.5'), undefined).then(() => undefined, (err: unknown) => err);

    expect(failure).to.be.instanceOf(HostFileError);
    expect((failure as HostFileError).code).to.equal('INVALID_DAEMON_JSON');
    expect((failure as HostFileError).message).to.contain(file);
    expect(await fileIdentity(file)).to.deep.equal(before);
  });

  it('refuses registry-mirrors that is not a list of strings', async function () {
    await writeFile(file, '{"registry-mirrors": "http://10.0.0.1:5000"}');

    const failure = await writer.apply(httpTarget('10.0.0.5'), undefined).then(() => undefined, (err: unknown) => err);

    expect((failure as HostFileError).code).to.equal('INVALID_DAEMON_JSON');
  });

  it('does not rewrite a hand-formatted file when our entries are already right', async function () {
    await writeFile(file, '{"registry-mirrors":["http://10.0.0.5:5000"],   "insecure-registries":["10.0.0.5:5000"]}');
    const before = await fileIdentity(file);

    const outcome = await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(outcome.changed).to.equal(false);
    expect(await fileIdentity(file)).to.deep.equal(before);
  });

  it('reports whether our mirror is present and first', async function () {
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    await writeFile(file, JSON.stringify({ 'registry-mirrors': ['https://other.example.com', 'http://10.0.0.5:5000'] }));

    const status = await writer.inspect(added.record);

    expect(status).to.deep.include({ valid: true, mirrorPresent: true, mirrorFirst: false, insecurePresent: false });
  });
});
