// Listing repositories: GET /v2/_catalog with n/last pagination, on a registry of its own so the
// expected list is exact.
import { expect } from 'chai';
import { bareContentType, expectRegistryError, parseNextLink } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

interface Catalog {
  repositories: string[];
}

describe('OCI distribution API: catalog', function () {
  const fixture = useTestRegistry();
  /** Names whose order is the same by any sensible comparison (no "a-b" against "a/b"). */
  const repositories = ['alpha', 'beta/one', 'beta/two/three', 'delta.d', 'gamma', 'omega/x_y/z'];

  before(async function () {
    for (const name of [...repositories].reverse()) await fixture.client.pushImage(name, 'latest');
  });

  async function catalog(query = ''): Promise<{ body: Catalog; link: ReturnType<typeof parseNextLink> }> {
    const response = await fixture.client.get(`/v2/_catalog${query}`);
    expect(response.status, response.text).to.equal(200);
    return { body: response.json<Catalog>(), link: parseNextLink(response) };
  }

  it('answers 200 with JSON {repositories}', async function () {
    const response = await fixture.client.get('/v2/_catalog');
    expect(response.status).to.equal(200);
    expect(bareContentType(response)).to.equal('application/json');
    expect(response.json<Catalog>().repositories).to.be.an('array');
  });

  it('lists every repository, nested names included, sorted', async function () {
    const { body, link } = await catalog();
    expect(body.repositories).to.deep.equal([...repositories].sort());
    expect(link).to.equal(null);
  });

  it('answers ?n=2 with the first two repositories and a Link to the next page', async function () {
    const { body, link } = await catalog('?n=2');
    expect(body.repositories).to.deep.equal(['alpha', 'beta/one']);
    expect(link, 'Link header').to.not.equal(null);
    expect(link!.path).to.equal('/v2/_catalog');
    expect(link!.params.get('n')).to.equal('2');
    expect(link!.params.get('last')).to.equal('beta/one');
  });

  it('continues after `last` with ?n=2&last=<name>, nested names included', async function () {
    const { body } = await catalog('?n=2&last=beta/one');
    expect(body.repositories).to.deep.equal(['beta/two/three', 'delta.d']);
  });

  it('walks the whole catalog by following Link headers', async function () {
    const seen: string[] = [];
    let query = '?n=2';
    for (let page = 0; page < 20; page += 1) {
      const { body, link } = await catalog(query);
      expect(body.repositories.length).to.be.at.most(2);
      seen.push(...body.repositories);
      if (!link) break;
      query = `?${link.params.toString()}`;
    }
    expect(seen).to.deep.equal([...repositories].sort());
  });

  it('sends no Link header on the last page, even when it is exactly full', async function () {
    const { body, link } = await catalog('?n=2&last=delta.d');
    expect(body.repositories).to.deep.equal(['gamma', 'omega/x_y/z']);
    expect(link).to.equal(null);
  });

  it('answers n=0 with an empty list and no Link', async function () {
    const { body, link } = await catalog('?n=0');
    expect(body.repositories).to.deep.equal([]);
    expect(link).to.equal(null);
  });

  it('continues after a `last` that is not a repository, in order', async function () {
    const { body } = await catalog('?last=c');
    expect(body.repositories).to.deep.equal(['delta.d', 'gamma', 'omega/x_y/z']);
  });

  it('lists a repository as soon as an image is pushed to it', async function () {
    await fixture.client.pushImage('zeta/late', 'latest');
    const { body } = await catalog('?last=omega/x_y/z');
    expect(body.repositories).to.deep.equal(['zeta/late']);
  });

  for (const n of ['-1', 'abc']) {
    it(`rejects n=${n} with 400 PAGINATION_NUMBER_INVALID`, async function () {
      expectRegistryError(await fixture.client.get(`/v2/_catalog?n=${n}`), 400, 'PAGINATION_NUMBER_INVALID');
    });
  }
});
