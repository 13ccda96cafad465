// A real Docker engine (the testbed's private dockerd) pulls from, runs from and pushes to our registry.
// docker push streams each new layer in one PATCH without Content-Range: the large-image test proves
// that upload path end to end, down to the bytes a container reads back.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  httpJson,
  MANIFEST_MEDIA_TYPES,
  readBlob,
  skopeo,
  startDockerd,
  tempDir,
  type BuiltImage,
  type Dockerd,
} from '@private-registry/testbed';
import { randomToken, readLayoutImage, startRegistryUnderTest, uniqueRepository, type RegistryUnderTest } from './registry-under-test.js';

const LARGE_FILE_BYTES = 50 * 1024 * 1024;

interface ImageConfigJson {
  rootfs: { type: string; diff_ids: string[] };
}

interface ManifestJson {
  config: { digest: string };
  layers: { digest: string; size: number }[];
}

/** The digest `docker push` prints on its last line: `TAG: digest: sha256:... size: N`. */
function pushedDigest(output: string): string {
  const match = /digest: (sha256:[0-9a-f]{64})/.exec(output);
  if (match?.[1] === undefined) throw new Error(`no digest in docker push output:\n${output}`);
  return match[1];
}

describe('docker pulling from and pushing to our registry @e2e', function () {
  this.timeout(180_000);
  let registry: RegistryUnderTest;
  let dockerd: Dockerd;
  let work: string;
  let image: BuiltImage;
  let pushedRef: string;
  let pushedRepository: string;

  before(async function () {
    registry = await startRegistryUnderTest();
    work = (await tempDir('docker-e2e')).path;
    image = await buildBusyboxImage(join(work, 'busybox'), { extraFileContent: 'docker e2e' });
    pushedRepository = uniqueRepository('docker-busybox');
    pushedRef = `${registry.host}/${pushedRepository}:latest`;
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${pushedRef}`]));
    // dockerd talks plain http to 127.0.0.0/8 without being told.
    dockerd = await startDockerd();
  });
  after(cleanupTestbed);

  it('pulls an image pushed with skopeo and runs busybox echo from it', async function () {
    assertSucceeded(await dockerd.docker(['pull', pushedRef]));
    const token = randomToken();

    const run = assertSucceeded(await dockerd.docker(['run', '--rm', pushedRef, '/bin/busybox', 'echo', token]));

    expect(run.stdout.trim()).to.equal(token);
  });

  it('pulls by digest (repository@sha256:...)', async function () {
    const byDigest = `${registry.host}/${pushedRepository}@${image.manifestDigest}`;

    assertSucceeded(await dockerd.docker(['pull', byDigest]));

    const inspect = assertSucceeded(await dockerd.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', byDigest]));
    expect(JSON.parse(inspect.stdout) as string[]).to.include(byDigest);
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', byDigest, '/bin/busybox', 'cat', '/testbed/content.txt']));
    expect(run.stdout).to.equal('docker e2e');
  });

  it('pushes a retagged image to a new repository that tags/list, a digest pull and skopeo all see', async function () {
    assertSucceeded(await dockerd.docker(['pull', pushedRef]));
    const repository = uniqueRepository('docker-pushed');
    const target = `${registry.host}/${repository}:v2`;
    assertSucceeded(await dockerd.docker(['tag', pushedRef, target]));

    const push = assertSucceeded(await dockerd.docker(['push', target]));

    const digest = pushedDigest(push.stdout);
    expect(await registry.tags(repository)).to.deep.equal(['v2']);
    const manifest = await registry.getManifest(repository, digest, Object.values(MANIFEST_MEDIA_TYPES));
    expect(manifest.status, manifest.text).to.equal(200);
    expect(manifest.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.dockerManifest);
    const { config, layers } = manifest.json as ManifestJson;

    const layout = join(work, 'from-docker-push');
    assertSucceeded(await skopeo(['copy', '--src-tls-verify=false', `docker://${target}`, `oci:${layout}:v2`]));
    const copied = await readLayoutImage(layout, 'v2');
    expect(copied.layerDigests).to.deep.equal(layers.map((layer) => layer.digest));
    // Converting schema 2 to OCI, containers/image re-serializes the config (new digest): compare its layers.
    const storedConfig = await httpJson(`${registry.url}/v2/${repository}/blobs/${config.digest}`);
    expect(storedConfig.status).to.equal(200);
    const copiedConfig = JSON.parse((await readBlob(layout, copied.configDigest)).toString('utf8')) as ImageConfigJson;
    expect(copiedConfig.rootfs).to.deep.equal((storedConfig.json as ImageConfigJson).rootfs);

    assertSucceeded(await dockerd.docker(['rmi', target]));
    const byDigest = `${registry.host}/${repository}@${digest}`;
    assertSucceeded(await dockerd.docker(['pull', byDigest]));
    const token = randomToken();
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', byDigest, '/bin/busybox', 'echo', token]));
    expect(run.stdout.trim()).to.equal(token);
  });

  it('streams a 50 MiB layer up with docker push and pulls it back intact', async function () {
    const content = randomBytes(LARGE_FILE_BYTES);
    const expectedSum = createHash('sha256').update(content).digest('hex');
    const large = await buildBusyboxImage(join(work, 'large'), { tag: 'large', files: { '/data/large.bin': content } });
    // Loaded from an archive, the image has no registry history: docker must compress and upload every layer.
    const archive = join(work, 'large.tar');
    assertSucceeded(await skopeo(['copy', large.ref, `docker-archive:${archive}:e2e-large:latest`]));
    assertSucceeded(await dockerd.docker(['load', '--input', archive]));
    const repository = uniqueRepository('docker-large');
    const target = `${registry.host}/${repository}:large`;
    assertSucceeded(await dockerd.docker(['tag', 'e2e-large:latest', target]));
    const offset = await registry.logOffset();

    const push = assertSucceeded(await dockerd.docker(['push', target], { timeoutMs: 150_000 }));

    const digest = pushedDigest(push.stdout);
    const requests = await registry.requestsSince(offset, (e) => e.method === 'PUT' && e.url.includes('/manifests/'));
    const patches = requests.filter((e) => e.method === 'PATCH' && e.url.startsWith(`/v2/${repository}/blobs/uploads/`));
    expect(patches, JSON.stringify(requests, null, 1)).to.not.be.empty;
    expect(patches.every((e) => e.status === 202), JSON.stringify(patches)).to.equal(true);
    const manifest = (await registry.getManifest(repository, digest, [MANIFEST_MEDIA_TYPES.dockerManifest])).json as ManifestJson;
    const largeLayer = manifest.layers.find((layer) => layer.size > LARGE_FILE_BYTES);
    expect(largeLayer, JSON.stringify(manifest.layers)).to.not.equal(undefined);
    // The whole compressed layer went up as one streamed PATCH into its session, then the closing PUT.
    const closing = requests.find((e) => e.method === 'PUT' && decodeURIComponent(e.url).includes(`digest=${largeLayer?.digest}`));
    expect(closing?.status, JSON.stringify(requests, null, 1)).to.equal(201);
    const session = closing?.url.split('?')[0];
    expect(patches.filter((e) => e.url.split('?')[0] === session)).to.have.length(1);

    assertSucceeded(await dockerd.docker(['rmi', target, 'e2e-large:latest']));
    assertSucceeded(await dockerd.docker(['pull', target], { timeoutMs: 150_000 }));
    const run = assertSucceeded(await dockerd.docker(['run', '--rm', target, '/bin/busybox', 'sha256sum', '/data/large.bin']));
    expect(run.stdout.trim().split(/\s+/)[0]).to.equal(expectedSum);
  });
});
