// Listing tags (end-8a, end-8b): GET /v2/<name>/tags/list with n/last pagination and Link headers.
import { expect } from 'chai';
import type { PushedImage } from './api-client.js';
import { uniqueRepository } from './oci-content.js';
import { bareContentType, expectRegistryError, parseNextLink } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

interface TagList {
  name: string;
  tags: string[];
}

describe('OCI distribution API: listing tags', function () {
  const fixture = useTestRegistry();
  const repository = uniqueRepository('tags-list');
  /** Characters whose ASCII and case-insensitive orders agree, so the expected order is unambiguous. */
  const tags = ['1.0', '1.0.1', '10', '2', 'beta', 'latest', 'v1-rc', 'v1.0', 'v1_0'];
  let image: PushedImage;

  before(async function () {
    image = await fixture.client.pushImage(repository);
    for (const tag of [...tags].reverse()) await fixture.client.pushManifest(repository, tag, image.manifest);
  });

  async function list(query = '', name = repository): Promise<{ body: TagList; link: ReturnType<typeof parseNextLink> }> {
    const response = await fixture.client.get(`/v2/${name}/tags/list${query}`);
    expect(response.status, response.text).to.equal(200);
    return { body: response.json<TagList>(), link: parseNextLink(response) };
  }

  it('answers 200 with JSON {name, tags}', async function () {
    const response = await fixture.client.get(`/v2/${repository}/tags/list`);
    expect(response.status).to.equal(200);
    expect(bareContentType(response)).to.equal('application/json');
    expect(response.json<TagList>().name).to.equal(repository);
  });

  it('lists every tag in lexical order', async function () {
    const { body, link } = await list();
    expect(body.tags).to.deep.equal([...tags].sort());
    expect(link).to.equal(null);
  });

  it('sorts mixed-case tags lexically or "ASCIIbetically", as the spec allows', async function () {
    const mixed = uniqueRepository('tags-list-case');
    const mixedImage = await fixture.client.pushImage(mixed);
    for (const tag of ['b', 'A', 'a', 'B']) await fixture.client.pushManifest(mixed, tag, mixedImage.manifest);
    const { body } = await list('', mixed);
    expect([...body.tags].sort()).to.deep.equal(['A', 'B', 'a', 'b']);
    const lowered = body.tags.map((tag) => tag.toLowerCase());
    const asciibetical = JSON.stringify(body.tags) === JSON.stringify(['A', 'B', 'a', 'b']);
    const caseInsensitive = JSON.stringify(lowered) === JSON.stringify([...lowered].sort());
    expect(asciibetical || caseInsensitive, `order ${body.tags.join(', ')}`).to.equal(true);
  });

  it('answers ?n=2 with the first two tags and a Link to the next page', async function () {
    const { body, link } = await list('?n=2');
    expect(body.tags).to.deep.equal(['1.0', '1.0.1']);
    expect(link, 'Link header').to.not.equal(null);
    expect(link!.path).to.equal(`/v2/${repository}/tags/list`);
    expect(link!.params.get('n')).to.equal('2');
    expect(link!.params.get('last')).to.equal('1.0.1');
  });

  it('continues after `last` with ?n=2&last=<tag>', async function () {
    const { body } = await list('?n=2&last=1.0.1');
    expect(body.tags).to.deep.equal(['10', '2']);
  });

  it('walks the whole list by following Link headers, each tag once, in order', async function () {
    const seen: string[] = [];
    let query = '?n=2';
    for (let page = 0; page < 20; page += 1) {
      const { body, link } = await list(query);
      expect(body.tags.length).to.be.at.most(2);
      seen.push(...body.tags);
      if (!link) break;
      query = `?${link.params.toString()}`;
    }
    expect(seen).to.deep.equal([...tags].sort());
  });

  it('sends no Link header on the last page, even when it is exactly full', async function () {
    const { body, link } = await list('?n=2&last=v1-rc');
    expect(body.tags).to.deep.equal(['v1.0', 'v1_0']);
    expect(link).to.equal(null);
  });

  it('answers n larger than the number of tags with all of them and no Link', async function () {
    const { body, link } = await list('?n=1000');
    expect(body.tags).to.deep.equal([...tags].sort());
    expect(link).to.equal(null);
  });

  it('answers an n too large to count (20 digits) with every tag and no Link, not 400', async function () {
    const { body, link } = await list('?n=99999999999999999999');
    expect(body.tags).to.deep.equal([...tags].sort());
    expect(link).to.equal(null);
  });

  it('answers HEAD with the headers of GET (Content-Type, Content-Length, Link) and no body', async function () {
    const get = await fixture.client.get(`/v2/${repository}/tags/list?n=2`);
    const head = await fixture.client.head(`/v2/${repository}/tags/list?n=2`);
    expect(head.status).to.equal(200);
    expect(head.body.length).to.equal(0);
    for (const name of ['content-type', 'content-length', 'link']) expect(head.header(name), name).to.equal(get.header(name));
  });

  it('answers n=0 with an empty list and no Link', async function () {
    const { body, link } = await list('?n=0');
    expect(body.tags).to.deep.equal([]);
    expect(link).to.equal(null);
  });

  it('answers `last` without n with every tag after it', async function () {
    const { body } = await list('?last=beta');
    expect(body.tags).to.deep.equal(['latest', 'v1-rc', 'v1.0', 'v1_0']);
  });

  it('continues after a `last` that is not itself a tag, in lexical order', async function () {
    const { body } = await list('?n=3&last=c');
    expect(body.tags).to.deep.equal(['latest', 'v1-rc', 'v1.0']);
  });

  it('answers `last` after the final tag with an empty list', async function () {
    const { body, link } = await list('?n=5&last=zzz');
    expect(body.tags).to.deep.equal([]);
    expect(link).to.equal(null);
  });

  it('lists a new tag as soon as its manifest is pushed', async function () {
    const fresh = uniqueRepository('tags-list-fresh');
    await fixture.client.pushImage(fresh, 'first');
    expect((await list('', fresh)).body.tags).to.deep.equal(['first']);
    await fixture.client.pushImage(fresh, 'second');
    expect((await list('', fresh)).body.tags).to.deep.equal(['first', 'second']);
  });

  it('lists every tag of twenty pushed concurrently', async function () {
    const busy = uniqueRepository('tags-list-concurrent');
    const busyImage = await fixture.client.pushImage(busy);
    const many = Array.from({ length: 20 }, (_, index) => `t${String(index).padStart(2, '0')}`);
    const responses = await Promise.all(many.map((tag) => fixture.client.putManifest(busy, tag, busyImage.manifest)));
    expect(responses.map((response) => response.status)).to.deep.equal(many.map(() => 201));
    expect((await list('', busy)).body.tags).to.deep.equal(many);
  });

  it('answers a repository whose manifests were pushed only by digest with an empty list', async function () {
    const untagged = uniqueRepository('tags-list-untagged');
    await fixture.client.pushImage(untagged);
    const { body } = await list('', untagged);
    expect(body.tags ?? []).to.deep.equal([]);
  });

  it('answers an unknown repository with 404 NAME_UNKNOWN', async function () {
    const response = await fixture.client.get(`/v2/${uniqueRepository('nowhere')}/tags/list`);
    expectRegistryError(response, 404, 'NAME_UNKNOWN');
  });

  for (const n of ['-1', 'abc']) {
    it(`rejects n=${n} with 400 PAGINATION_NUMBER_INVALID`, async function () {
      const response = await fixture.client.get(`/v2/${repository}/tags/list?n=${n}`);
      expectRegistryError(response, 400, 'PAGINATION_NUMBER_INVALID');
    });
  }
});
