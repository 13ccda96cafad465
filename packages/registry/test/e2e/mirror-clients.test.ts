// Real clients pulling through our registry in mirror mode: dockerd (`registry-mirrors`), podman (a
// registries.conf mirror for docker.io), containerd (`?ns=docker.io` through hosts.toml) and docker push into
// the mirror instance. The upstream is the reference registry; its access log says what we asked it.
// The tests run in order: the first pull is the cold one that fills our cache, the later ones are warm.
import { expect } from 'chai';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  podman,
  podmanEnv,
  requireCommands,
  runCommand,
  skopeo,
  startDockerd,
  startReferenceRegistry,
  tempDir,
  type AccessLogEntry,
  type Dockerd,
  type ReferenceRegistry,
} from '@private-registry/testbed';
import { readLayoutImage, startRegistryUnderTest, type LayoutImage, type RegistryUnderTest, type RequestLogEntry } from './registry-under-test.js';

const UPSTREAM_CONTENT = 'pulled through the mirror from upstream';

/** How often the upstream was asked GET for each blob path of `repository`. */
function blobGets(log: readonly AccessLogEntry[], repository: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of log) {
    if (entry.method !== 'GET' || !entry.path.startsWith(`/v2/${repository}/blobs/`)) continue;
    counts.set(entry.path, (counts.get(entry.path) ?? 0) + 1);
  }
  return counts;
}

function describeRequests(entries: readonly RequestLogEntry[]): string {
  return entries.map((e) => `${e.method} ${e.url} ${e.status}`).join('\n');
}

function answeredOf(requests: { method: string; url: string; status: number }[]): string[] {
  return requests.filter((e) => e.status === 200).map((e) => `${e.method} ${e.url}`);
}

describe('real clients pulling through our mirror @e2e', function () {
  this.timeout(180_000);
  let upstream: ReferenceRegistry;
  let mirror: RegistryUnderTest;
  let dockerd: Dockerd;
  let work: string;
  let image: LayoutImage;
  /** The blob paths of library/busybox: config first, then the layers. */
  let blobPaths: string[];

  before(async function () {
    requireCommands(['docker-registry', 'dockerd', 'podman', 'ctr', 'skopeo', 'umoci']);
    work = (await tempDir('mirror-clients')).path;
    upstream = await startReferenceRegistry();
    const built = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: UPSTREAM_CONTENT });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', built.ref, `docker://${upstream.host}/library/busybox:latest`]));
    image = await readLayoutImage(built.layoutDir, built.tag);
    blobPaths = [image.configDigest, ...image.layerDigests].map((digest) => `/v2/library/busybox/blobs/${digest}`);
    // A long revalidation interval: a warm pull must not even HEAD the tag upstream.
    mirror = await startRegistryUnderTest({ config: { proxy: { remoteurl: upstream.url, tagrevalidate: '10m' } } });
    dockerd = await startDockerd({ registryMirrors: [mirror.url] });
  });
  after(cleanupTestbed);

  it('serves a plain `docker pull busybox` from upstream, asking upstream once per blob', async function () {
    const offset = await mirror.logOffset();
    const upstreamBefore = (await upstream.accessLog()).length;

    // No internet here: success means the mirror served it.
    assertSucceeded(await dockerd.docker(['pull', 'busybox'], { timeoutMs: 60_000 }));

    const run = assertSucceeded(await dockerd.docker(['run', '--rm', 'busybox', 'cat', '/testbed/content.txt']));
    expect(run.stdout).to.equal(UPSTREAM_CONTENT);
    const repoDigests = assertSucceeded(await dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', 'busybox']));
    expect(JSON.parse(repoDigests.stdout) as string[]).to.deep.equal([`busybox@${image.manifestDigest}`]);

    // dockerd resolves the tag with a HEAD, then GETs the manifest by digest.
    const requests = await mirror.requestsSince(offset, (e) => e.url === `/v2/library/busybox/manifests/${image.manifestDigest}`);
    const answered = answeredOf(requests);
    expect(answered, describeRequests(requests)).to.include.members([
      'HEAD /v2/library/busybox/manifests/latest',
      `GET /v2/library/busybox/manifests/${image.manifestDigest}`,
    ]);
    // Every blob was answered 200 by us (its last byte comes only once the download is verified).
    for (const path of blobPaths) {
      expect(answeredOf(await mirror.requestsSince(offset, (e) => e.url === path)), path).to.include(`GET ${path}`);
    }
    const gets = blobGets((await upstream.accessLog()).slice(upstreamBefore), 'library/busybox');
    expect(Object.fromEntries(gets)).to.deep.equal(Object.fromEntries(blobPaths.map((path) => [path, 1])));
  });

  it('serves a second, fresh dockerd from our cache without asking upstream at all', async function () {
    const second = await startDockerd({ registryMirrors: [mirror.url] });
    try {
      const offset = await mirror.logOffset();
      const upstreamBefore = (await upstream.accessLog()).length;

      assertSucceeded(await second.docker(['pull', 'busybox'], { timeoutMs: 60_000 }));

      const run = assertSucceeded(await second.docker(['run', '--rm', 'busybox', 'cat', '/testbed/content.txt']));
      expect(run.stdout).to.equal(UPSTREAM_CONTENT);
      const requests = await mirror.requestsSince(offset, (e) => e.url === blobPaths[blobPaths.length - 1]);
      expect(requests.map((e) => e.url), describeRequests(requests)).to.include.members(blobPaths);
      const asked = (await upstream.accessLog()).slice(upstreamBefore);
      expect(asked.map((e) => e.line)).to.deep.equal([]);
    } finally {
      await second.stop();
    }
  });

  it('serves `podman pull docker.io/library/busybox` through a registries.conf mirror, with the upstream digest', async function () {
    const environment = await podmanEnv(join(work, 'podman'));
    await writeFile(
      environment.registriesConfPath,
      [
        'unqualified-search-registries = []',
        '[[registry]]',
        'prefix = "docker.io"',
        'location = "docker.io"',
        '[[registry.mirror]]',
        `location = "${mirror.host}"`,
        'insecure = true',
        '',
      ].join('\n'),
    );
    const offset = await mirror.logOffset();

    assertSucceeded(await podman(['pull', 'docker.io/library/busybox'], { root: environment.dir, timeoutMs: 60_000 }));

    const digest = assertSucceeded(await podman(['image', 'inspect', '--format', '{{.Digest}}', 'docker.io/library/busybox'], { root: environment.dir }));
    expect(digest.stdout.trim()).to.equal(image.manifestDigest);
    const requests = await mirror.requestsSince(offset, (e) => e.url.startsWith('/v2/library/busybox/manifests/') && e.status === 200);
    expect(requests.some((e) => e.url.startsWith('/v2/library/busybox/manifests/') && e.status === 200), describeRequests(requests)).to.equal(true);
  });

  it('answers containerd\'s ?ns=docker.io requests when ctr fetches docker.io/library/busybox through hosts.toml', async function () {
    const hostsDir = join(work, 'certs.d');
    await mkdir(join(hostsDir, 'docker.io'), { recursive: true });
    await writeFile(
      join(hostsDir, 'docker.io', 'hosts.toml'),
      `server = "https://registry-1.docker.io"\n\n[host."${mirror.url}"]\n  capabilities = ["pull", "resolve"]\n`,
    );
    const address = join(dockerd.dataDir, 'exec', 'containerd', 'containerd.sock');
    const ctr = (args: string[]): ReturnType<typeof runCommand> =>
      runCommand('ctr', ['--address', address, '--namespace', 'mirror-clients', ...args], { timeoutMs: 60_000 });
    const offset = await mirror.logOffset();

    assertSucceeded(await ctr(['content', 'fetch', '--hosts-dir', hostsDir, 'docker.io/library/busybox:latest']));

    const requests = await mirror.requestsSince(offset, (e) => e.url === `${blobPaths[blobPaths.length - 1]}?ns=docker.io`);
    const answered = requests.filter((e) => e.status === 200).map((e) => e.url);
    // No GET of the manifest by digest is required: dockerd 20.10 keeps the manifests it pulled in this
    // containerd's content store, which every namespace shares, so ctr may find it there already.
    expect(answered, describeRequests(requests)).to.include.members([
      '/v2/library/busybox/manifests/latest?ns=docker.io',
      ...blobPaths.map((path) => `${path}?ns=docker.io`),
    ]);
    const stored = assertSucceeded(await ctr(['content', 'ls', '--quiet']));
    expect(stored.stdout.split('\n')).to.include.members([image.manifestDigest, image.configDigest, ...image.layerDigests]);
  });

  it('takes a docker push into the mirror instance and serves it back, never asking upstream for it', async function () {
    const target = `${mirror.host}/team/app:1`;
    const upstreamBefore = (await upstream.accessLog()).length;
    assertSucceeded(await dockerd.docker(['tag', 'busybox', target]));

    const push = assertSucceeded(await dockerd.docker(['push', target], { timeoutMs: 60_000 }));

    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    expect(pushed, push.stdout).to.be.a('string');
    expect(await mirror.tags('team/app')).to.deep.equal(['1']);
    assertSucceeded(await dockerd.docker(['rmi', target]));
    assertSucceeded(await dockerd.docker(['pull', target], { timeoutMs: 60_000 }));
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', target, 'cat', '/testbed/content.txt']));
    expect(run.stdout).to.equal(UPSTREAM_CONTENT);
    const inspect = assertSucceeded(await dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', target]));
    expect(JSON.parse(inspect.stdout) as string[]).to.include(`${mirror.host}/team/app@${pushed}`);
    const asked = (await upstream.accessLog()).slice(upstreamBefore).filter((e) => e.path.includes('team/app'));
    expect(asked.map((e) => e.line)).to.deep.equal([]);
  });

  it('takes a docker push of layers nobody has into the mirror instance without telling upstream the name', async function () {
    const fresh = await buildBusyboxImage(join(work, 'fresh'), { extraFileContent: 'pushed here, never upstream' });
    const archive = join(work, 'fresh.tar');
    // Loaded from an archive, the image has no registry history: docker uploads every layer.
    assertSucceeded(await skopeo(['copy', fresh.ref, `docker-archive:${archive}:team/fresh:1`]));
    assertSucceeded(await dockerd.docker(['load', '--input', archive]));
    const target = `${mirror.host}/team/fresh:1`;
    assertSucceeded(await dockerd.docker(['tag', 'team/fresh:1', target]));
    const upstreamBefore = (await upstream.accessLog()).length;

    assertSucceeded(await dockerd.docker(['push', target], { timeoutMs: 60_000 }));

    assertSucceeded(await dockerd.docker(['rmi', target, 'team/fresh:1']));
    assertSucceeded(await dockerd.docker(['pull', target], { timeoutMs: 60_000 }));
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', target, 'cat', '/testbed/content.txt']));
    expect(run.stdout).to.equal('pushed here, never upstream');
    const asked = (await upstream.accessLog()).slice(upstreamBefore).filter((e) => e.path.includes('team/fresh'));
    expect(asked.map((e) => e.line)).to.deep.equal([]);
  });
});
