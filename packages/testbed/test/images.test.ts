// Images built offline with umoci reach the reference registry through skopeo, single- and multi-arch.

import { expect } from 'chai';
import { join } from 'node:path';
import {
  MANIFEST_MEDIA_TYPES,
  assertSucceeded,
  buildBusyboxImage,
  buildMultiArchIndex,
  cleanupTestbed,
  hostArchitecture,
  httpJson,
  skopeo,
  startReferenceRegistry,
  tempDir,
  type ReferenceRegistry,
} from '../src/index.js';

interface InspectOutput {
  Digest: string;
  Architecture: string;
  Os: string;
  Layers: string[];
}

interface IndexBody {
  mediaType: string;
  manifests: Array<{ digest: string; platform: { os: string; architecture: string } }>;
}

describe('umoci-built images through skopeo @e2e', () => {
  let registry: ReferenceRegistry;
  let work: string;

  before(async () => {
    registry = await startReferenceRegistry();
    work = (await tempDir('images')).path;
  });
  after(cleanupTestbed);

  it('copies a busybox image into the reference registry, where skopeo inspect finds it', async () => {
    const image = await buildBusyboxImage(join(work, 'busybox'));
    expect(image.ref).to.equal(`oci:${join(work, 'busybox')}:latest`);

    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', image.ref, `docker://${registry.host}/busybox:latest`]));
    const inspect = assertSucceeded(await skopeo(['inspect', '--tls-verify=false', `docker://${registry.host}/busybox:latest`]));

    const info = JSON.parse(inspect.stdout) as InspectOutput;
    expect(info.Digest).to.equal(image.manifestDigest);
    expect(info.Architecture).to.equal(hostArchitecture());
    expect(info.Os).to.equal('linux');
    expect(info.Layers).to.have.length(1);
  });

  it('builds images that differ when given different content, in one layout under two tags', async () => {
    const layout = join(work, 'two');
    const first = await buildBusyboxImage(layout, { tag: 'one', extraFileContent: 'one' });
    const second = await buildBusyboxImage(layout, { tag: 'two', extraFileContent: 'two', entrypoint: ['/bin/busybox'], cmd: ['echo', 'hi'] });

    expect(first.manifestDigest).to.not.equal(second.manifestDigest);
    const tags = assertSucceeded(await skopeo(['inspect', `oci:${layout}:two`]));
    expect(JSON.parse(tags.stdout)).to.have.property('Digest', second.manifestDigest);
  });

  it('pushes a multi-arch index with --all, served back as an index of two manifests', async () => {
    const multi = await buildMultiArchIndex(join(work, 'multi'), ['amd64', 'arm64']);

    assertSucceeded(await skopeo(['copy', '--all', '--dest-tls-verify=false', multi.ref, `docker://${registry.host}/multi:latest`]));
    const response = await httpJson(`${registry.url}/v2/multi/manifests/latest`, { headers: { Accept: MANIFEST_MEDIA_TYPES.ociIndex } });

    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal(MANIFEST_MEDIA_TYPES.ociIndex);
    expect(response.headers.get('docker-content-digest')).to.equal(multi.indexDigest);
    const body = response.json as IndexBody;
    expect(body.manifests).to.have.length(2);
    expect(body.manifests.map((m) => m.platform.architecture)).to.deep.equal(['amd64', 'arm64']);
    expect(new Set(body.manifests.map((m) => m.digest)).size).to.equal(2);
    for (const manifest of multi.manifests) {
      const child = await httpJson(`${registry.url}/v2/multi/manifests/${manifest.digest}`, { method: 'HEAD', headers: { Accept: MANIFEST_MEDIA_TYPES.ociManifest } });
      expect(child.status).to.equal(200);
    }
  });
});
