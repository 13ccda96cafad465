// A repository's page in-process: its tags sorted by name or newest push, a hundred to a page, an index
// shown with each platform's size, and when each tag was last pulled (before the pull times are written).
import { expect } from 'chai';
import { parseDigest } from '../../src/oci/digest.js';
import { PullRecorder } from '../../src/gc/pull-recorder.js';
import { formatBytes } from '../../src/ui/pages/format.js';
import { blobDescriptor, contentOf, imageIndex, imageManifest, MediaType, randomBlob, type ManifestDocument } from '../api/oci-content.js';
import { startUiRegistry, visibleText, type UiRegistry } from './ui-fixture.js';

/** The tags a repository page lists, in order. */
function listedTags(html: string, name: string): string[] {
  return [...html.matchAll(new RegExp(`<th scope="row"><a href="/ui/r/${name}/-/([^"]+)">`, 'g'))].map((m) => m[1] as string);
}

/** The table row of `tag` on a repository page. */
function rowOf(html: string, name: string, tag: string): string {
  const start = html.indexOf(`<a href="/ui/r/${name}/-/${tag}">`);
  expect(start, `a row for ${tag}`).to.be.greaterThan(-1);
  return html.slice(html.lastIndexOf('<tr', start), html.indexOf('</tr>', start));
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('web UI: the repository page', function () {
  this.timeout(10_000);
  let registry: UiRegistry;

  before(async () => {
    registry = await startUiRegistry();
  });
  after(async () => {
    await registry.close();
  });

  async function pushPlatformImage(name: string, tag: string, platform: { os: string; architecture: string; variant?: string }, layers: ReturnType<typeof randomBlob>[]): Promise<{ manifest: ManifestDocument; size: number }> {
    const config = contentOf(JSON.stringify({ ...platform, created: '2026-04-01T08:00:00Z', rootfs: { type: 'layers', diff_ids: [] }, config: {} }));
    await registry.api.pushBlob(name, config, MediaType.OciConfig);
    for (const layer of layers) await registry.api.pushBlob(name, layer);
    const manifest = imageManifest({ config: blobDescriptor(config, MediaType.OciConfig), layers: layers.map((l) => blobDescriptor(l)) });
    await registry.api.pushManifest(name, tag, manifest);
    return { manifest, size: manifest.size + config.size + layers.reduce((sum, l) => sum + l.size, 0) };
  }

  it('sorts tags by name, or by push time newest first with ?sort=time', async function () {
    const image = await registry.api.pushImage('sorted/app', 'beta');
    await delay(15);
    await registry.api.pushManifest('sorted/app', 'alpha', image.manifest);
    await delay(15);
    await registry.api.pushManifest('sorted/app', 'gamma', image.manifest);
    const browser = registry.browser();
    const byName = await browser.get('/ui/r/sorted/app');
    expect(byName.status).to.equal(200);
    expect(listedTags(byName.text, 'sorted/app')).to.deep.equal(['alpha', 'beta', 'gamma']);
    expect(visibleText(byName.text)).to.include('3 tags');
    expect(byName.text).to.include('<a href="/ui/r/sorted/app?sort=time">Sort by time</a>');
    const byTime = await browser.get('/ui/r/sorted/app?sort=time');
    expect(listedTags(byTime.text, 'sorted/app')).to.deep.equal(['gamma', 'alpha', 'beta']);
    expect(byTime.text).to.include('<a href="/ui/r/sorted/app?sort=time" aria-current="true">Sort by time</a>');
  });

  it('shows 100 tags a page, with the rest on page 2 and links both ways', async function () {
    const image = await registry.api.pushImage('many/app', 'tag-000');
    for (let i = 1; i < 105; i += 1) await registry.services.tags.tag('many/app', `tag-${String(i).padStart(3, '0')}`, parseDigest(image.manifest.digest));
    const browser = registry.browser();
    const first = await browser.get('/ui/r/many/app');
    const firstTags = listedTags(first.text, 'many/app');
    expect(firstTags).to.have.length(100);
    expect(firstTags[0]).to.equal('tag-000');
    expect(firstTags[99]).to.equal('tag-099');
    expect(visibleText(first.text)).to.include('105 tags').and.include('Page 1 of 2');
    expect(first.text).to.include('<a href="/ui/r/many/app?page=2" rel="next">Next page</a>');
    const second = await browser.get('/ui/r/many/app?page=2');
    expect(listedTags(second.text, 'many/app')).to.deep.equal(['tag-100', 'tag-101', 'tag-102', 'tag-103', 'tag-104']);
    expect(visibleText(second.text)).to.include('Page 2 of 2');
    expect(second.text).to.include('<a href="/ui/r/many/app" rel="prev">Previous page</a>');
    expect(second.text).to.not.include('rel="next"');
    // Past the last page: the last page; nonsense: the first.
    expect(listedTags((await browser.get('/ui/r/many/app?page=9')).text, 'many/app')).to.have.length(5);
    expect(listedTags((await browser.get('/ui/r/many/app?page=x')).text, 'many/app')[0]).to.equal('tag-000');
  });

  it("shows an index's platforms, each with its own size, and the index's size counting a shared layer once", async function () {
    const shared = randomBlob(4000);
    const amd = await pushPlatformImage('multi/app', 'amd64', { os: 'linux', architecture: 'amd64' }, [shared, randomBlob(1500)]);
    const arm = await pushPlatformImage('multi/app', 'arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, [shared]);
    const index = imageIndex({ manifests: [amd.manifest.descriptor({ platform: { os: 'linux', architecture: 'amd64' } }), arm.manifest.descriptor({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } })] });
    await registry.api.pushManifest('multi/app', 'v1', index);
    const page = await registry.browser().get('/ui/r/multi/app');
    const row = visibleText(rowOf(page.text, 'multi/app', 'v1'));
    expect(row).to.include(`linux/amd64 (${formatBytes(amd.size)})`);
    expect(row).to.include(`linux/arm64/v8 (${formatBytes(arm.size)})`);
    expect(row).to.include(formatBytes(index.size + amd.size + arm.size - shared.size));
    expect(visibleText(rowOf(page.text, 'multi/app', 'arm64'))).to.include('linux/arm64/v8').and.include(formatBytes(arm.size));
  });

  it('shows when a tag was last pulled, from the pull recorder before its batch is written', async function () {
    const recorder = new PullRecorder(registry.driver, registry.log, 600_000);
    registry.services.pulls = recorder;
    const image = await registry.api.pushImage('pulled/app', 'v1');
    const browser = registry.browser();
    const before = rowOf((await browser.get('/ui/r/pulled/app')).text, 'pulled/app', 'v1');
    const lastCell = (row: string) => row.slice(row.lastIndexOf('<td'));
    expect(lastCell(before)).to.include('<span class="muted">—</span>');
    expect((await registry.api.fetchManifest('pulled/app', 'v1')).status).to.equal(200);
    const pulledAt = recorder.pendingTime('pulled/app', parseDigest(image.manifest.digest));
    expect(pulledAt, 'the pull is pending').to.be.a('number');
    const after = rowOf((await browser.get('/ui/r/pulled/app')).text, 'pulled/app', 'v1');
    expect(lastCell(after)).to.include(`datetime="${new Date(pulledAt as number).toISOString()}"`);
    // Once written to the store, read from there.
    await recorder.flush();
    expect(recorder.pendingTime('pulled/app', parseDigest(image.manifest.digest))).to.equal(undefined);
    const written = rowOf((await browser.get('/ui/r/pulled/app')).text, 'pulled/app', 'v1');
    expect(lastCell(written)).to.include(`datetime="${new Date(pulledAt as number).toISOString()}"`);
  });

  it('names an artifact by its type instead of a platform', async function () {
    const config = contentOf('{}');
    await registry.api.pushBlob('art/app', config, MediaType.OciEmpty);
    const layer = randomBlob(20);
    await registry.api.pushBlob('art/app', layer);
    await registry.api.pushManifest('art/app', 'sbom', imageManifest({ config: blobDescriptor(config, MediaType.OciEmpty), layers: [blobDescriptor(layer)], artifactType: 'application/spdx+json' }));
    const row = rowOf((await registry.browser().get('/ui/r/art/app')).text, 'art/app', 'sbom');
    expect(row).to.include('<span class="badge badge-artifact">application/spdx+json</span>');
  });
});
