// What the lists show of a manifest, over the memory driver with images pushed through the API: its size
// (every part once), its platforms, its kind, computed once per digest however many ask at the same time.
import { expect } from 'chai';
import { parseDigest } from '../../src/oci/digest.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { ImageSummaries } from '../../src/ui/image-summaries.js';
import { blobDescriptor, contentOf, imageIndex, imageManifest, MediaType, randomBlob, unknownDigest, type Content, type Descriptor, type ManifestDocument } from '../api/oci-content.js';
import { countingDriver, startUiRegistry, type UiRegistry } from './ui-fixture.js';

/** A config blob of a runnable image for `platform` ("linux/arm64/v8"). */
function platformConfig(platform: string, created: string): Content {
  const [os, architecture, variant] = platform.split('/');
  return contentOf(JSON.stringify({ os, architecture, ...(variant ? { variant } : {}), created, rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
}

describe('image summaries', function () {
  let registry: UiRegistry;
  let summaries: ImageSummaries;

  before(async () => {
    registry = await startUiRegistry();
  });
  after(async () => {
    await registry.close();
  });
  beforeEach(() => {
    summaries = new ImageSummaries(registry.services.manifests, registry.driver);
  });

  /** Pushes `config` and `layers` (those not pushed yet) and a manifest of them, tagged `tag`. */
  async function pushImage(name: string, tag: string, config: Content, layers: Content[], configType: string = MediaType.OciConfig, extra: { artifactType?: string } = {}): Promise<ManifestDocument> {
    await registry.api.pushBlob(name, config, configType);
    for (const layer of layers) await registry.api.pushBlob(name, layer);
    const manifest = imageManifest({ config: blobDescriptor(config, configType), layers: layers.map((l) => blobDescriptor(l)), ...extra });
    await registry.api.pushManifest(name, tag, manifest);
    return manifest;
  }

  it("sizes a single image as its manifest, config and layers, with the platform from its config", async function () {
    const config = platformConfig('linux/arm64/v8', '2026-03-01T10:00:00Z');
    const layers = [randomBlob(1000), randomBlob(2345)];
    const manifest = await pushImage('sum/single', 'v1', config, layers);
    const summary = await summaries.get(parseDigest(manifest.digest));
    const size = manifest.size + config.size + 1000 + 2345;
    expect(summary).to.deep.include({ digest: manifest.digest, mediaType: MediaType.OciManifest, kind: 'image', size, created: '2026-03-01T10:00:00Z' });
    expect(summary?.platforms).to.deep.equal([{ platform: 'linux/arm64/v8', digest: manifest.digest, size }]);
    expect([...(summary?.parts.keys() ?? [])].sort()).to.deep.equal([manifest.digest, config.digest, ...layers.map((l) => l.digest)].sort());
    expect(summary?.artifactType).to.equal(undefined);
  });

  it('reads a Docker image config as well', async function () {
    const config = platformConfig('linux/amd64', '2025-01-01T00:00:00Z');
    const manifest = await pushImage('sum/docker', 'v1', config, [randomBlob(10)], MediaType.DockerConfig);
    const summary = await summaries.get(parseDigest(manifest.digest));
    expect(summary?.kind).to.equal('image');
    expect(summary?.platforms.map((p) => p.platform)).to.deep.equal(['linux/amd64']);
  });

  it('gives an index each platform with its own size and counts a layer shared by both once in its own', async function () {
    const shared = randomBlob(5000);
    const amdConfig = platformConfig('linux/amd64', '2026-01-01T00:00:00Z');
    const armConfig = platformConfig('linux/arm64/v8', '2026-02-01T00:00:00Z');
    const amdOnly = randomBlob(700);
    const amd = await pushImage('sum/multi', 'amd', amdConfig, [shared, amdOnly]);
    const arm = await pushImage('sum/multi', 'arm', armConfig, [shared]);
    const index = imageIndex({ manifests: [amd.descriptor({ platform: { os: 'linux', architecture: 'amd64' } }), arm.descriptor({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })] });
    await registry.api.pushManifest('sum/multi', 'v1', index);
    const summary = await summaries.get(parseDigest(index.digest));
    const amdSize = amd.size + amdConfig.size + shared.size + amdOnly.size;
    const armSize = arm.size + armConfig.size + shared.size;
    expect(summary?.kind).to.equal('index');
    expect(summary?.platforms).to.deep.equal([
      { platform: 'linux/amd64', digest: amd.digest, size: amdSize },
      { platform: 'linux/arm64/v8', digest: arm.digest, size: armSize },
    ]);
    expect(summary?.size).to.equal(index.size + amdSize + armSize - shared.size);
    expect(summary?.created, "the newest child's").to.equal('2026-02-01T00:00:00Z');
  });

  it("takes a child's platform from its config when the index entry has none, and counts a child missing from the store by its descriptor", async function () {
    const config = platformConfig('windows/amd64', '2026-01-01T00:00:00Z');
    const present = await pushImage('sum/partial', 'win', config, [randomBlob(100)]);
    const missing: Descriptor = { mediaType: MediaType.OciManifest, digest: unknownDigest(), size: 4321, platform: { os: 'linux', architecture: 's390x' } };
    const noPlatform: Descriptor = { mediaType: MediaType.OciManifest, digest: unknownDigest(), size: 99 };
    const index = imageIndex({ manifests: [present.descriptor(), missing, noPlatform] });
    // As a mirror keeps an index before its children: without checking references.
    await registry.services.manifests.put('sum/partial', { kind: 'tag', tag: 'v1' }, index.bytes, MediaType.OciIndex, { checkReferences: false });
    const summary = await summaries.get(parseDigest(index.digest));
    expect(summary?.platforms.map((p) => [p.platform, p.size])).to.deep.equal([
      ['windows/amd64', present.size + config.size + 100],
      ['linux/s390x', 4321],
      ['unknown', 99],
    ]);
    expect(summary?.size).to.equal(index.size + present.size + config.size + 100 + 4321 + 99);
  });

  it("calls a manifest with a non-image config or an artifactType an artifact, of that type, without platforms", async function () {
    const sbomConfig = contentOf('{"tool":"syft"}');
    const byConfig = await pushImage('sum/art', 'sbom', sbomConfig, [randomBlob(64)], 'application/vnd.example.sbom.config.v1+json');
    const empty = contentOf('{}');
    const byType = await pushImage('sum/art', 'sig', empty, [randomBlob(32)], MediaType.OciEmpty, { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' });
    const first = await summaries.get(parseDigest(byConfig.digest));
    const second = await summaries.get(parseDigest(byType.digest));
    expect(first).to.deep.include({ kind: 'artifact', artifactType: 'application/vnd.example.sbom.config.v1+json', platforms: [], size: byConfig.size + sbomConfig.size + 64 });
    expect(second).to.deep.include({ kind: 'artifact', artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', platforms: [] });
  });

  it('computes one digest once however many ask at the same time, and not again afterwards', async function () {
    const config = platformConfig('linux/amd64', '2026-01-01T00:00:00Z');
    const manifest = await pushImage('sum/once', 'v1', config, [randomBlob(10)]);
    // Fresh services over a counting driver: a cold manifest cache, every read seen.
    const { driver, reads } = countingDriver(registry.driver);
    const cold = new ImageSummaries(new RegistryServices(driver, registry.services.policy).manifests, driver);
    const all = await Promise.all(Array.from({ length: 8 }, () => cold.get(parseDigest(manifest.digest))));
    for (const summary of all) expect(summary).to.equal(all[0]);
    const manifestPath = pathFor({ kind: 'blobData', digest: parseDigest(manifest.digest) });
    const configPath = pathFor({ kind: 'blobData', digest: parseDigest(config.digest) });
    expect(reads(manifestPath), 'manifest reads').to.equal(1);
    expect(reads(configPath), 'config reads (stat + content)').to.equal(2);
    await cold.get(parseDigest(manifest.digest));
    expect(reads(manifestPath) + reads(configPath), 'after it is known').to.equal(3);
  });

  it('answers undefined for a manifest that is not in the store or cannot be parsed', async function () {
    expect(await summaries.get(parseDigest(unknownDigest()))).to.equal(undefined);
    const garbage = contentOf('this is not a manifest');
    await registry.driver.putContent(pathFor({ kind: 'blobData', digest: parseDigest(garbage.digest) }), garbage.bytes);
    expect(await summaries.get(parseDigest(garbage.digest))).to.equal(undefined);
  });

  it("still sizes an image whose config blob is gone, without a platform", async function () {
    const config = platformConfig('linux/amd64', '2026-01-01T00:00:00Z');
    const manifest = await pushImage('sum/noconfig', 'v1', config, [randomBlob(10)]);
    await registry.driver.delete(pathFor({ kind: 'blobData', digest: parseDigest(config.digest) }));
    const summary = await summaries.get(parseDigest(manifest.digest));
    expect(summary).to.deep.include({ kind: 'image', platforms: [], size: manifest.size + config.size + 10 });
  });

  // A summary made while a part was not in the store yet (a mirror keeps a manifest before its config) is not
  // kept: once the config is there the lists show its platform.
  it('computes a summary again once the parts missing when it was made are in the store', async function () {
    const config = platformConfig('linux/riscv64', '2026-01-01T00:00:00Z');
    const layer = randomBlob(50);
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: [blobDescriptor(layer)] });
    // As a mirror does: the manifest first, its blobs fetched afterwards.
    await registry.services.manifests.put('sum/late', { kind: 'tag', tag: 'v1' }, manifest.bytes, MediaType.OciManifest, { checkReferences: false });
    expect((await summaries.get(parseDigest(manifest.digest)))?.platforms).to.deep.equal([]);
    await registry.api.pushBlob('sum/late', config, MediaType.OciConfig);
    await registry.api.pushBlob('sum/late', layer);
    expect((await summaries.get(parseDigest(manifest.digest)))?.platforms.map((p) => p.platform)).to.deep.equal(['linux/riscv64']);
  });
});
