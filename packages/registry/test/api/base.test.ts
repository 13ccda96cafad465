// The API version check (end-1): GET /v2/ tells clients this is a V2 / OCI distribution registry.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { sendRaw } from './raw-http.js';
import { expectRegistryError, bareContentType } from './registry-assertions.js';
import { useTestRegistry } from './registry-fixture.js';

/** What the registry must announce: its package's version. */
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('OCI distribution API: base endpoint', function () {
  const fixture = useTestRegistry();

  it('says its own version in X-Registry-Version on /v2/ (GET and HEAD), the one in its package.json', async function () {
    expect(PACKAGE_VERSION).to.match(/^\d+\.\d+\.\d+/);
    expect((await fixture.client.get('/v2/')).header('x-registry-version')).to.equal(PACKAGE_VERSION);
    expect((await fixture.client.head('/v2/')).header('x-registry-version')).to.equal(PACKAGE_VERSION);
  });

  it('sends X-Registry-Version on every /v2 answer, errors included', async function () {
    const response = await fixture.client.get('/v2/no/such/repository/tags/list');
    expect(response.status).to.equal(404);
    expect(response.header('x-registry-version')).to.equal(PACKAGE_VERSION);
  });

  it('answers GET /v2/ with 200', async function () {
    const response = await fixture.client.get('/v2/');
    expect(response.status).to.equal(200);
  });

  it('identifies itself with Docker-Distribution-API-Version: registry/2.0', async function () {
    const response = await fixture.client.get('/v2/');
    expect(response.header('docker-distribution-api-version')).to.equal('registry/2.0');
  });

  it('answers HEAD /v2/ with 200 and the same version header', async function () {
    const response = await fixture.client.head('/v2/');
    expect(response.status).to.equal(200);
    expect(response.header('docker-distribution-api-version')).to.equal('registry/2.0');
  });

  it('serves a JSON body (or none) that clients can ignore', async function () {
    const response = await fixture.client.get('/v2/');
    if (response.body.length > 0) expect(() => response.json()).to.not.throw();
  });

  it('answers an unknown path under /v2/ with 404, not 500', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'GET', path: '/v2/some/repo/not-an-endpoint' });
    expect(response.status).to.equal(404);
  });

  it('answers an unknown path under /v2/ with the JSON error body', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'GET', path: '/v2/some/repo/not-an-endpoint' });
    expectRegistryError(response, 404, 'NAME_UNKNOWN');
  });

  it('answers a method a route does not serve with 405 UNSUPPORTED and Allow naming the ones it does', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'POST', path: '/v2/some/repo/tags/list' });
    expectRegistryError(response, 405, 'UNSUPPORTED');
    expect(response.header('allow')).to.equal('GET, HEAD');
  });

  it('answers OPTIONS with 405 and Allow (distribution answers 200; the spec defines no OPTIONS)', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'OPTIONS', path: '/v2/some/repo/manifests/v1' });
    expectRegistryError(response, 405, 'UNSUPPORTED');
    expect(response.header('allow')).to.equal('GET, HEAD, PUT');
  });

  it('answers a path outside /v2 with a JSON 404, not an HTML page', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'GET', path: '/no-such-page' });
    expectRegistryError(response, 404, 'NAME_UNKNOWN');
    expect(bareContentType(response)).to.equal('application/json');
  });

  it('answers another method on / with 405 and Allow: GET, HEAD', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'DELETE', path: '/' });
    expectRegistryError(response, 405, 'UNSUPPORTED');
    expect(response.header('allow')).to.equal('GET, HEAD');
  });
});
