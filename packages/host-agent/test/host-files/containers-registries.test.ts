import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'smol-toml';
import { cleanupTestbed } from '@private-registry/testbed';
import { ContainersRegistriesWriter } from '../../src/host-files/containers-registries.js';
import type { HostRoot } from '../../src/host-files/host-root.js';
import { freshRoot, httpsTarget, httpTarget, viaStateFile } from './host-files-fixtures.js';

describe('the containers registries.conf.d drop-in writer', function () {
  let root: HostRoot;
  let writer: ContainersRegistriesWriter;
  let file: string;

  beforeEach(async function () {
    root = await freshRoot();
    writer = new ContainersRegistriesWriter({ root });
    file = root.path('/etc/containers/registries.conf.d/50-registry-host-agent.conf');
  });
  after(cleanupTestbed);

  const exists = (): Promise<boolean> => readFile(file).then(() => true, () => false);

  it('writes docker.io with our registry as an insecure mirror for an http target', async function () {
    await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(parse(await readFile(file, 'utf8'))).to.deep.equal({
      registry: [{ prefix: 'docker.io', location: 'docker.io', mirror: [{ location: '10.0.0.5:5000', insecure: true }] }],
    });
  });

  it('leaves insecure out for an https target', async function () {
    await writer.apply(httpsTarget('registry.internal', 443), undefined);

    expect(parse(await readFile(file, 'utf8'))).to.deep.equal({
      registry: [{ prefix: 'docker.io', location: 'docker.io', mirror: [{ location: 'registry.internal:443' }] }],
    });
  });

  it('rewrites the drop-in on a switch and deletes it on removal after a restart', async function () {
    const first = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const second = await writer.apply(httpTarget('10.0.0.6'), viaStateFile(first.record));
    expect(await writer.inspect(second.record)).to.deep.include({ mirrors: ['10.0.0.6:5000'], present: true });

    const removed = await writer.apply(null, viaStateFile(second.record));

    expect(removed).to.deep.equal({ changed: true, record: undefined, files: [file] });
    expect(await exists()).to.equal(false);
  });

  it('leaves a stranger’s file under our name alone when it has no record of writing it', async function () {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '[[registry]]\nprefix = "quay.io"\nlocation = "quay.io"\n');

    const removed = await writer.apply(null, undefined);

    expect(removed.changed).to.equal(false);
    expect(await exists()).to.equal(true);
  });
});
