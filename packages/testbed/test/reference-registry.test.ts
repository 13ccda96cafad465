// The reference registry starts on loopback, answers /v2/, logs its access, enforces htpasswd, and stops clean.

import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { basicAuth, cleanupTestbed, httpJson, isAlive, startReferenceRegistry, type ReferenceRegistry } from '../src/index.js';

describe('reference registry @e2e', () => {
  after(cleanupTestbed);

  it('answers /v2/ on 127.0.0.1 and records the request in its access log', async () => {
    const registry = await startReferenceRegistry();
    expect(registry.host).to.equal(`127.0.0.1:${registry.port}`);

    const response = await httpJson(`${registry.url}/v2/`);

    expect(response.status).to.equal(200);
    expect(response.headers.get('docker-distribution-api-version')).to.equal('registry/2.0');
    const log = await registry.accessLog();
    expect(log.some((entry) => entry.method === 'GET' && entry.path === '/v2/' && entry.status === 200)).to.equal(true);
    await registry.stop();
  });

  it('asks for credentials when started with htpasswd and accepts the right ones', async () => {
    const registry = await startReferenceRegistry({ htpasswd: { user: 'alice', password: 's3cret' } });

    const anonymous = await httpJson(`${registry.url}/v2/`);
    const wrong = await httpJson(`${registry.url}/v2/`, { headers: { Authorization: basicAuth('alice', 'nope') } });
    const right = await httpJson(`${registry.url}/v2/`, { headers: { Authorization: basicAuth('alice', 's3cret') } });

    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers.get('www-authenticate')).to.contain('Basic realm="testbed"');
    expect(wrong.status).to.equal(401);
    expect(right.status).to.equal(200);
    await registry.stop();
  });

  it('merges extra config and honours deleteEnabled', async () => {
    const registry = await startReferenceRegistry({ deleteEnabled: true, extraConfig: { http: { headers: { 'X-Testbed': ['yes'] } } } });

    const response = await httpJson(`${registry.url}/v2/`);
    const deletion = await httpJson(`${registry.url}/v2/x/manifests/sha256:${'0'.repeat(64)}`, { method: 'DELETE' });

    expect(response.headers.get('x-testbed')).to.equal('yes');
    // 404 (unknown manifest), not 405 (deletes disabled).
    expect(deletion.status).to.equal(404);
    await registry.stop();
  });

  it('leaves no process and no directory behind after stop', async () => {
    const registry: ReferenceRegistry = await startReferenceRegistry();
    await registry.stop();
    expect(isAlive(registry.process.pid)).to.equal(false);
    expect(existsSync(registry.rootDirectory)).to.equal(false);
  });
});
