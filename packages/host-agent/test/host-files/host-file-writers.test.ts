// What every writer promises the reconciler, checked on all four through the factory.
import { expect } from 'chai';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cleanupTestbed } from '@private-registry/testbed';
import { HostFileError } from '../../src/host-files/host-file-error.js';
import type { HostFileWriter, WriterName } from '../../src/host-files/host-file-writer.js';
import { createHostFileWriters } from '../../src/host-files/index.js';
import type { HostRoot } from '../../src/host-files/host-root.js';
import { fileIdentity, freshRoot, httpTarget, tempFilesIn, viaStateFile } from './host-files-fixtures.js';

const DEFAULT_PATHS: Record<WriterName, string> = {
  environment: '/etc/environment',
  docker: '/etc/docker/daemon.json',
  containerd: '/etc/containerd/certs.d/docker.io/hosts.toml',
  podman: '/etc/containers/registries.conf.d/50-registry-host-agent.conf',
};

async function contentOrNone(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

describe('every host file writer', function () {
  let root: HostRoot;
  after(cleanupTestbed);

  beforeEach(async function () {
    root = await freshRoot();
  });

  it('the factory builds the enabled writers, in order, at their default or given paths', async function () {
    const all = createHostFileWriters({ root });
    expect(all.map((w) => w.name)).to.deep.equal(['environment', 'docker', 'containerd', 'podman']);

    const some = createHostFileWriters({ root: root.dir, enabled: ['podman', 'environment'], environmentFile: '/etc/default/registry' });
    expect(some.map((w) => w.name)).to.deep.equal(['podman', 'environment']);
    const outcome = await some[1]?.apply(httpTarget('10.0.0.5'), undefined);
    expect(outcome?.files).to.deep.equal([root.path('/etc/default/registry')]);
  });

  for (const name of Object.keys(DEFAULT_PATHS) as WriterName[]) {
    describe(`(${name})`, function () {
      let writer: HostFileWriter;
      let file: string;

      beforeEach(function () {
        [writer] = createHostFileWriters({ root, enabled: [name] }) as [HostFileWriter];
        file = root.path(DEFAULT_PATHS[name]);
      });

      it('touches nothing on a second apply of the same target: same inode, same mtime', async function () {
        const first = await writer.apply(httpTarget('10.0.0.5'), undefined);
        const before = await fileIdentity(file);

        const second = await writer.apply(httpTarget('10.0.0.5'), viaStateFile(first.record));

        expect(second).to.deep.equal({ changed: false, record: first.record, files: [] });
        expect(await fileIdentity(file)).to.deep.equal(before);
      });

      it('reports the change in a dry run and writes nothing, for an add, a switch and a removal', async function () {
        const dryAdd = await writer.apply(httpTarget('10.0.0.5'), undefined, { dryRun: true });
        expect(dryAdd.changed).to.equal(true);
        expect(dryAdd.files).to.deep.equal([file]);
        expect(await contentOrNone(file)).to.equal(undefined);

        const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
        expect(added.record).to.deep.equal(dryAdd.record);
        const before = await fileIdentity(file);
        const drySwitch = await writer.apply(httpTarget('10.0.0.6'), added.record, { dryRun: true });
        const dryRemove = await writer.apply(null, added.record, { dryRun: true });

        expect([drySwitch.changed, dryRemove.changed]).to.deep.equal([true, true]);
        expect(await fileIdentity(file)).to.deep.equal(before);
      });

      it('after an agent restart, removal leaves no trace of our registry and no temp file', async function () {
        const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
        expect(await contentOrNone(file)).to.contain('10.0.0.5:5000');
        const switched = await writer.apply(httpTarget('10.0.0.66', 5001), viaStateFile(added.record));

        let removed = await writer.apply(null, viaStateFile(switched.record));
        // daemon.json's removal has a second step, after dockerd's reload.
        if (removed.again === true) removed = await writer.apply(null, viaStateFile(removed.record));

        expect(removed.changed).to.equal(true);
        expect(removed.record).to.equal(undefined);
        expect((await contentOrNone(file)) ?? '').to.not.match(/10\.0\.0\.(5|66):500/);
        expect(await tempFilesIn(dirname(file)).catch(() => [])).to.deep.equal([]);
      });

      it('follows its record to the old path when the path option changed', async function () {
        const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
        const movedPath = `${DEFAULT_PATHS[name]}.moved`;
        const [moved] = createHostFileWriters({ root, enabled: [name], [optionFor(name)]: movedPath }) as [HostFileWriter];

        const outcome = await moved.apply(httpTarget('10.0.0.5'), added.record);

        expect(outcome.files).to.deep.equal([file, root.path(movedPath)]);
        expect((await contentOrNone(file)) ?? '').to.not.contain('10.0.0.5:5000');
        expect(await contentOrNone(root.path(movedPath))).to.contain('10.0.0.5:5000');
        expect(outcome.record?.['path']).to.equal(movedPath);
      });

      it('refuses a target that would not stay one value in the file, and a record it did not write', async function () {
        const badTarget = await writer.apply({ address: '10.0.0.5:5000"\nX=1', url: 'http://10.0.0.5:5000', scheme: 'http' }, undefined).catch((err: unknown) => err);
        const badRecord = await writer.apply(null, { path: 42 }).catch((err: unknown) => err);

        expect((badTarget as HostFileError).code).to.equal('INVALID_TARGET');
        expect((badRecord as HostFileError).code).to.equal('INVALID_RECORD');
        expect(await stat(root.dir).then(() => filesUnder(root.dir))).to.deep.equal([]);
      });
    });
  }
});

function optionFor(name: WriterName): 'environmentFile' | 'dockerDaemonJson' | 'containerdHostsToml' | 'containersDropIn' {
  const options = { environment: 'environmentFile', docker: 'dockerDaemonJson', containerd: 'containerdHostsToml', podman: 'containersDropIn' } as const;
  return options[name];
}
