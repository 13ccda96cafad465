import { expect } from 'chai';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse } from 'smol-toml';
import { cleanupTestbed } from '@private-registry/testbed';
import { CONTAINERD_MARKER, ContainerdHostsWriter } from '../../src/host-files/containerd-hosts.js';
import { HostFileError } from '../../src/host-files/host-file-error.js';
import type { HostRoot } from '../../src/host-files/host-root.js';
import { fileIdentity, freshRoot, httpTarget, viaStateFile } from './host-files-fixtures.js';

const FOREIGN = `# site policy: pull docker.io through the corporate cache
server = "https://registry-1.docker.io"

[host."https://cache.corp.example"]
  capabilities = ["pull", "resolve"]
  ca = "/etc/ssl/corp.pem"
`;

describe("the containerd hosts.toml writer", function () {
  let root: HostRoot;
  let writer: ContainerdHostsWriter;
  let file: string;

  beforeEach(async function () {
    root = await freshRoot();
    writer = new ContainerdHostsWriter({ root });
    file = root.path('/etc/containerd/certs.d/docker.io/hosts.toml');
  });
  after(cleanupTestbed);

  const readToml = async (): Promise<Record<string, unknown>> => parse(await readFile(file, 'utf8'));
  const exists = (): Promise<boolean> => readFile(file).then(() => true, () => false);

  it('creates its own hosts.toml: Docker Hub as server, our registry as a pull/resolve host over plain http', async function () {
    const outcome = await writer.apply(httpTarget('10.0.0.5'), undefined);

    const text = await readFile(file, 'utf8');
    expect(text.startsWith(CONTAINERD_MARKER)).to.equal(true);
    expect(await readToml()).to.deep.equal({
      server: 'https://registry-1.docker.io',
      host: { 'http://10.0.0.5:5000': { capabilities: ['pull', 'resolve'] } },
    });
    expect(outcome.record).to.deep.equal({ path: '/etc/containerd/certs.d/docker.io/hosts.toml', host: 'http://10.0.0.5:5000', ownedFile: true, hostAdded: true });
  });

  it('rewrites its own file on a switch and deletes it on removal', async function () {
    const first = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const second = await writer.apply(httpTarget('fd00::6'), viaStateFile(first.record));
    expect(Object.keys((await readToml())['host'] as object)).to.deep.equal(['http://[fd00::6]:5000']);

    const removed = await writer.apply(null, viaStateFile(second.record));

    expect(removed.changed).to.equal(true);
    expect(await exists()).to.equal(false);
  });

  it('knows its own file by the marker even without a record (a lost state file)', async function () {
    await writer.apply(httpTarget('10.0.0.5'), undefined);

    await writer.apply(null, undefined);

    expect(await exists()).to.equal(false);
  });

  it('merges into a foreign file as the first host and takes only its table out again', async function () {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, FOREIGN);

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const merged = await readToml();
    expect(Object.keys(merged['host'] as object)).to.deep.equal(['http://10.0.0.5:5000', 'https://cache.corp.example']);
    expect(merged['server']).to.equal('https://registry-1.docker.io');
    expect(added.record).to.deep.include({ ownedFile: false, hostAdded: true });
    const switched = await writer.apply(httpTarget('10.0.0.6'), viaStateFile(added.record));
    expect(Object.keys((await readToml())['host'] as object)).to.deep.equal(['http://10.0.0.6:5000', 'https://cache.corp.example']);

    // Our table went in before the operator's, as lines of text: the rest is as they wrote it.
    const ours = '# Added by registry-host-agent (removed when no registry is announced):\n[host."http://10.0.0.6:5000"]\n  capabilities = ["pull", "resolve"]\n\n';
    expect(await readFile(file, 'utf8')).to.equal(FOREIGN.replace('[host."https://cache', `${ours}[host."https://cache`));

    await writer.apply(null, viaStateFile(switched.record));

    expect(await readFile(file, 'utf8'), 'byte for byte as it was').to.equal(FOREIGN);
  });

  it('appends its table to a foreign file without hosts, and restores it exactly, even without a trailing newline', async function () {
    await mkdir(dirname(file), { recursive: true });
    for (const original of ['# only a server\nserver = "https://registry-1.docker.io"', 'server = "https://registry-1.docker.io"\n', '# empty on purpose\n\n']) {
      await writeFile(file, original);
      const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
      expect(Object.keys((await readToml())['host'] as object)).to.deep.equal(['http://10.0.0.5:5000']);
      await writer.apply(null, viaStateFile(added.record));
      expect(await readFile(file, 'utf8')).to.equal(original);
    }
  });

  it("takes out, by its header, a table an older agent merged in (a record without the inserted lines)", async function () {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'server = "https://registry-1.docker.io"\n\n[host."http://10.0.0.5:5000"]\ncapabilities = [ "pull", "resolve" ]\n\n[host."https://cache.corp.example"]\ncapabilities = [ "pull" ]\n');
    await writer.apply(null, { path: '/etc/containerd/certs.d/docker.io/hosts.toml', host: 'http://10.0.0.5:5000', ownedFile: false, hostAdded: true });
    expect(await readFile(file, 'utf8')).to.equal('server = "https://registry-1.docker.io"\n\n[host."https://cache.corp.example"]\ncapabilities = [ "pull" ]\n');
  });

  it('leaves a foreign file untouched when it already lists our registry first', async function () {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `# hand written\n[host."http://10.0.0.5:5000"]\n  capabilities = ["pull", "resolve"]\n`);
    const before = await fileIdentity(file);

    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);
    const removed = await writer.apply(null, added.record);

    expect([added.changed, removed.changed]).to.deep.equal([false, false]);
    expect(await fileIdentity(file)).to.deep.equal(before);
  });

  it('refuses a hosts.toml that is not valid TOML and leaves it untouched', async function () {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, '[host."http://a:1"\ncapabilities = ["pull"]\n');
    const before = await fileIdentity(file);

    const failure = await writer.apply(httpTarget('10.0.0.5'), undefined).then(() => undefined, (err: unknown) => err);

    expect(failure).to.be.instanceOf(HostFileError);
    expect((failure as HostFileError).code).to.equal('INVALID_HOSTS_TOML');
    expect(await fileIdentity(file)).to.deep.equal(before);
  });

  it('reports the hosts in order and whether ours is first', async function () {
    const added = await writer.apply(httpTarget('10.0.0.5'), undefined);

    expect(await writer.inspect(added.record)).to.deep.include({ valid: true, ownedFile: true, hosts: ['http://10.0.0.5:5000'], present: true, first: true });
  });
});
