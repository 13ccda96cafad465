// What the pages read: a repository page reads only the tags it shows (a repository of hundreds of tags costs a
// listing plus its page), the repositories filter answers from the names kept in memory, and the raw manifest is the stored bytes.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { pathFor } from '../../src/storage/path-spec.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import type { Catalog } from '../../src/services/catalog.js';
import { PageData, TAGS_PER_PAGE } from '../../src/ui/page-data.js';
import { NAMES_TTL_MS, RepositoryNames } from '../../src/ui/repository-names.js';
import { tagPushTimes } from '../../src/ui/repository-tags.js';
import type { StorageDriver } from '../../src/storage/storage-driver.js';
import { blobDescriptor, contentOf, imageManifest, MediaType } from '../api/oci-content.js';
import { countingDriver, startUiRegistry, type UiRegistry } from './ui-fixture.js';

describe('web UI page data', function () {
  this.timeout(20_000);
  let registry: UiRegistry;
  const TAGS = TAGS_PER_PAGE + 50;

  before(async () => {
    registry = await startUiRegistry();
    const image = await registry.api.pushImage('many/tags', 'seed');
    for (let i = 0; i < TAGS; i++) await registry.api.pushManifest('many/tags', `t${String(i).padStart(3, '0')}`, image.manifest);
  });
  after(async () => {
    await registry.close();
  });

  function linkReads(reads: (path: string) => number, tags: string[]): number {
    return tags.reduce((sum, tag) => sum + reads(pathFor({ kind: 'tagCurrentLink', name: 'many/tags', tag })), 0);
  }

  it('sorted by name, reads the links of the tags on the page only', async function () {
    const { driver, reads } = countingDriver(registry.driver);
    const data = new PageData(new RegistryServices(driver, registry.services.policy));
    const page = await data.tagRows('many/tags', 'name', 2);
    expect(page.total).to.equal(TAGS + 1);
    expect(page.rows.map((r) => r.tag)).to.deep.equal(Array.from({ length: TAGS + 1 - TAGS_PER_PAGE }, (_, i) => `t${String(i + TAGS_PER_PAGE - 1).padStart(3, '0')}`));
    const all = ['seed', ...Array.from({ length: TAGS }, (_, i) => `t${String(i).padStart(3, '0')}`)];
    const shown = page.rows.map((r) => r.tag);
    // A read and a stat per tag shown, nothing for the others.
    expect(linkReads(reads, shown)).to.equal(2 * shown.length);
    expect(linkReads(reads, all.filter((t) => !shown.includes(t)))).to.equal(0);
  });

  it('sorted by time, stats every link but reads only the page', async function () {
    const { driver, reads } = countingDriver(registry.driver);
    const data = new PageData(new RegistryServices(driver, registry.services.policy));
    const page = await data.tagRows('many/tags', 'time', 1);
    expect(page.rows).to.have.lengthOf(TAGS_PER_PAGE);
    const times = page.rows.map((r) => r.pushed.getTime());
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    const all = ['seed', ...Array.from({ length: TAGS }, (_, i) => `t${String(i).padStart(3, '0')}`)];
    const shown = new Set(page.rows.map((r) => r.tag));
    expect(linkReads(reads, all.filter((t) => !shown.has(t))), 'one stat per tag not shown').to.equal(all.length - shown.size);
    expect(linkReads(reads, [...shown]), 'a stat and a read per tag shown').to.equal(2 * shown.size);
  });

  /** `inner` as a driver whose walkFiles is a key listing with times (as S3's), counting its walks. */
  function listingDriver(inner: StorageDriver): { driver: StorageDriver; walks: () => number } {
    let walks = 0;
    const driver = new Proxy(inner, {
      get(target, property) {
        if (property === 'listsWithTimes') return true;
        const value: unknown = Reflect.get(target, property, target);
        if (property !== 'walkFiles' || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          walks += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { driver, walks: () => walks };
  }

  it('sorted by time where the driver lists keys with their times (S3), takes the times from one listing and stats no link', async function () {
    const counting = countingDriver(registry.driver);
    const { driver, walks } = listingDriver(counting.driver);
    const listed = await new PageData(new RegistryServices(driver, registry.services.policy)).tagRows('many/tags', 'time', 1);
    const stated = await new PageData(new RegistryServices(registry.driver, registry.services.policy)).tagRows('many/tags', 'time', 1);
    expect(listed.rows.map((r) => [r.tag, r.pushed.getTime()])).to.deep.equal(stated.rows.map((r) => [r.tag, r.pushed.getTime()]));
    expect(walks(), 'one listing of the tags directory').to.equal(1);
    const all = ['seed', ...Array.from({ length: TAGS }, (_, i) => `t${String(i).padStart(3, '0')}`)];
    const shown = new Set(listed.rows.map((r) => r.tag));
    expect(linkReads(counting.reads, all.filter((t) => !shown.has(t))), 'nothing for a tag not shown').to.equal(0);
    expect(linkReads(counting.reads, [...shown]), 'a read per tag shown').to.equal(shown.size);
  });

  it('stats the links of a few tags even where the driver lists with times (one round of stats is no slower than a listing)', async function () {
    const counting = countingDriver(registry.driver);
    const { driver, walks } = listingDriver(counting.driver);
    const times = await tagPushTimes(driver, 'many/tags', ['seed', 't000', 't001']);
    expect([...times.keys()].sort()).to.deep.equal(['seed', 't000', 't001']);
    expect(walks()).to.equal(0);
    expect(linkReads(counting.reads, ['seed', 't000', 't001'])).to.equal(3);
  });
});

describe('repository names kept for the filter', function () {
  function fakeCatalog(): { catalog: Catalog; walks: () => number; add: (name: string) => void } {
    const names = ['a/one', 'b/two'];
    let walks = 0;
    const catalog = {
      repositories: async () => {
        walks += 1;
        return [...names].sort();
      },
    } as unknown as Catalog;
    return { catalog, walks: () => walks, add: (name) => names.push(name) };
  }

  it('walks the catalog once per NAMES_TTL_MS, and answers a stale list while it reads a fresh one', async function () {
    const { catalog, walks, add } = fakeCatalog();
    let now = 1_000_000;
    const names = new RepositoryNames(catalog, () => now);
    const [first, second] = await Promise.all([names.all(), names.all()]);
    expect(first).to.deep.equal(['a/one', 'b/two']);
    expect(second).to.equal(first);
    expect(walks(), 'two callers at once share one walk').to.equal(1);
    add('c/three');
    now += NAMES_TTL_MS - 1;
    expect(await names.all()).to.deep.equal(['a/one', 'b/two']);
    expect(walks()).to.equal(1);
    now += 1;
    expect(await names.all(), 'stale: answered at once').to.deep.equal(['a/one', 'b/two']);
    expect(walks(), 'while a fresh walk runs').to.equal(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await names.all()).to.deep.equal(['a/one', 'b/two', 'c/three']);
    expect(walks()).to.equal(2);
  });
});

describe('repository names warmed by the repositories page', function () {
  it('reads the names once when warmed, and not again while they are fresh', async function () {
    let walks = 0;
    const catalog = { repositories: async () => (walks += 1, ['x/y']) } as unknown as Catalog;
    const names = new RepositoryNames(catalog, () => 0);
    names.warm();
    names.warm();
    expect(await names.all()).to.deep.equal(['x/y']);
    names.warm();
    expect(walks).to.equal(1);
  });
});

describe('the raw manifest on the image page', function () {
  let registry: UiRegistry;
  before(async () => {
    registry = await startUiRegistry();
  });
  after(async () => {
    await registry.close();
  });

  it('is the stored bytes, so what is copied hashes to the digest', async function () {
    const image = await registry.api.pushImage('raw/app', 'v1');
    const page = await registry.browser().get('/ui/r/raw/app/-/v1');
    const match = /<pre class="raw" id="raw-manifest" tabindex="0">([^<]*)<\/pre>/.exec(page.text);
    expect(match, 'the raw manifest block').to.not.equal(null);
    const shown = (match?.[1] ?? '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    expect(`sha256:${createHash('sha256').update(shown).digest('hex')}`).to.equal(image.manifest.digest);
  });
});

describe('the pull commands on the image page', function () {
  function commands(html: string): string[] {
    return [...html.matchAll(/<code id="pull-[a-z-]+">([^<]+)<\/code>/g)].map((m) => m[1] as string);
  }

  it('name http.host when it is set, else the host the browser asked', async function () {
    const configured = await startUiRegistry({ publicHost: 'https://registry.example.com' });
    const plain = await startUiRegistry();
    try {
      // Stored directly: the API's upload URLs would name the public host, which does not resolve here.
      const image = { manifest: imageManifest({ config: blobDescriptor(contentOf('{}'), MediaType.OciConfig), layers: [] }) };
      await configured.services.manifests.put('pull/app', { kind: 'tag', tag: 'v2' }, image.manifest.bytes, MediaType.OciManifest, { checkReferences: false });
      const page = await configured.browser().get('/ui/r/pull/app/-/v2');
      expect(commands(page.text)).to.deep.equal([
        'docker pull registry.example.com/pull/app:v2',
        'podman pull registry.example.com/pull/app:v2',
        `docker pull registry.example.com/pull/app@${image.manifest.digest}`,
        `podman pull registry.example.com/pull/app@${image.manifest.digest}`,
      ]);
      await plain.api.pushImage('pull/app', 'v2');
      const host = new URL(plain.url).host;
      expect(commands((await plain.browser().get('/ui/r/pull/app/-/v2')).text)[0]).to.equal(`docker pull ${host}/pull/app:v2`);
    } finally {
      await configured.close();
      await plain.close();
    }
  });
});
