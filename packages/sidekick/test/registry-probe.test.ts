// The health probe against real servers: our registry over http and https (private CA), a closed port,
// servers that answer 401, 500 or nothing at all.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, freePort, runChecked, startRegistryProcess, tempDir, type RegistryProcess } from '@private-registry/testbed';
import { RegistryProbe } from '../src/registry-probe.js';
import { SidekickError } from '../src/sidekick-error.js';
import { startFixedStatusServer } from './sidekick-under-test.js';

/** A self-signed CA and a certificate for IP 127.0.0.1 signed by it (what an operator's private PKI gives). */
async function makePki(): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const dir = (await tempDir('sidekick-pki')).path;
  const at = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await runChecked('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.crt'), '-days', '2', '-subj', '/CN=sidekick test CA']);
  await runChecked('openssl', ['req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1']);
  await writeFile(at('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  await runChecked('openssl', [
    'x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-out', at('server.crt'), '-days', '2', '-extfile', at('server.ext'),
  ]);
  return { caFile: at('ca.crt'), certFile: at('server.crt'), keyFile: at('server.key') };
}

describe('the registry probe against real servers @e2e', function () {
  this.timeout(30_000);
  after(cleanupTestbed);

  let registry: RegistryProcess;
  before(async () => {
    registry = await startRegistryProcess();
  });

  it('calls our running registry alive on its HTTP 200 and reads its version from X-Registry-Version', async () => {
    const result = await new RegistryProbe({ registryUrl: registry.url, timeoutMs: 2_000 }).probe();
    expect(result).to.include({ alive: true, status: 200, detail: 'HTTP 200' });
    // Our registry's package.json version (read as a file: nothing imports the registry package).
    const registryPackage = JSON.parse(readFileSync(new URL('../../registry/package.json', import.meta.url), 'utf8')) as { version: string };
    expect(result.version).to.equal(registryPackage.version);
  });

  it('calls a closed port not alive, saying the connection was refused', async () => {
    const result = await new RegistryProbe({ registryUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2_000 }).probe();
    expect(result.alive).to.equal(false);
    expect(result.status).to.equal(undefined);
    expect(result.detail).to.match(/ECONNREFUSED/);
  });

  const statuses: [number, boolean][] = [
    [401, true],
    [500, false],
    [503, false],
    [404, false],
    [302, false],
  ];
  for (const [status, alive] of statuses) {
    it(`calls a /v2/ answering ${status} ${alive ? 'alive' : 'not alive'}`, async () => {
      const server = await startFixedStatusServer(status);
      try {
        const result = await new RegistryProbe({ registryUrl: server.url, timeoutMs: 2_000 }).probe();
        expect(result).to.include({ alive, status });
      } finally {
        await server.close();
      }
    });
  }

  it('gives up on a registry that accepts the connection but never answers, after the timeout', async () => {
    const server = await startFixedStatusServer('hang');
    try {
      const result = await new RegistryProbe({ registryUrl: server.url, timeoutMs: 300 }).probe();
      expect(result.alive).to.equal(false);
      expect(result.detail).to.match(/no answer .* within 300 ms/);
      expect(result.elapsedMs).to.be.within(280, 1_000);
      expect(server.requests()).to.equal(1);
    } finally {
      await server.close();
    }
  });

  it('ends a probe in flight at once when its signal aborts', async () => {
    const server = await startFixedStatusServer('hang');
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const result = await new RegistryProbe({ registryUrl: server.url, timeoutMs: 5_000 }).probe(controller.signal);
      expect(result).to.include({ alive: false, detail: 'probe aborted' });
      expect(result.elapsedMs).to.be.below(1_000);
    } finally {
      await server.close();
    }
  });

  it('reads the registry version from the X-Registry-Version header of an alive answer', async () => {
    const server = await startFixedStatusServer(401, { 'X-Registry-Version': '2.8.3' });
    try {
      expect((await new RegistryProbe({ registryUrl: server.url, timeoutMs: 2_000 }).probe()).version).to.equal('2.8.3');
    } finally {
      await server.close();
    }
  });

  it('refuses an unreadable --registry-ca at construction, naming the flag', () => {
    expect(() => new RegistryProbe({ registryUrl: 'https://127.0.0.1:5443', timeoutMs: 1_000, caFile: '/nonexistent/ca.pem' }))
      .to.throw(SidekickError, /--registry-ca \/nonexistent\/ca.pem/);
  });

  describe('an https registry', () => {
    let pki: Awaited<ReturnType<typeof makePki>>;
    let secure: RegistryProcess;
    before(async () => {
      pki = await makePki();
      secure = await startRegistryProcess({ scheme: 'https', config: { http: { tls: { certificate: pki.certFile, key: pki.keyFile } } } });
    });

    it('is alive to a probe that trusts its CA (--registry-ca)', async () => {
      const result = await new RegistryProbe({ registryUrl: secure.url, timeoutMs: 2_000, caFile: pki.caFile }).probe();
      expect(result).to.include({ alive: true, status: 200 });
    });

    it('is not alive to a probe that does not trust its certificate', async () => {
      const result = await new RegistryProbe({ registryUrl: secure.url, timeoutMs: 2_000 }).probe();
      expect(result.alive).to.equal(false);
      expect(result.detail).to.match(/certificate/i);
    });

    it('is alive to a probe told not to verify (--registry-insecure)', async () => {
      const result = await new RegistryProbe({ registryUrl: secure.url, timeoutMs: 2_000, insecure: true }).probe();
      expect(result).to.include({ alive: true, status: 200 });
    });
  });
});
