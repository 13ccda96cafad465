// The API version check (end-1): GET /v2/ tells clients this is a V2 / OCI distribution registry.
import { expect } from 'chai';
import { sendRaw } from './raw-http.js';
import { useTestRegistry } from './registry-fixture.js';

describe('OCI distribution API: base endpoint', function () {
  const fixture = useTestRegistry();

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

  it('answers a method a route does not support with 404 or 405, not 500', async function () {
    const response = await sendRaw(fixture.registry.url, { method: 'POST', path: '/v2/some/repo/tags/list' });
    expect([404, 405]).to.include(response.status);
  });
});
