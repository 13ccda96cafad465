// Methods the registry does not serve get 405 with the spec's JSON error body and an Allow header, at every
// layer they can stop: node:http itself (CONNECT, and BREW, which its parser does not know), Express (methods
// it knows), the /v2 dispatcher; over plain HTTP and TLS. Unparseable requests get a JSON 400.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { createRegistryApp } from '../../src/app.js';
import { listen, type RunningListener } from '../../src/http-listener.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { exchangeOverSocket, type SocketExchange } from './raw-http.js';
import { useTestRegistry } from './registry-fixture.js';

function expectUnsupported(answer: SocketExchange, allow: string | undefined): void {
  expect(answer.status, answer.body).to.equal(405);
  expect(answer.headers['content-type']).to.equal('application/json');
  const body = JSON.parse(answer.body) as { errors: Array<{ code: string; message: string }> };
  expect(body.errors[0]!.code).to.equal('UNSUPPORTED');
  expect(body.errors[0]!.message).to.be.a('string').and.not.equal('');
  expect(Number(answer.headers['content-length'])).to.equal(Buffer.byteLength(answer.body));
  expect(answer.headers['allow']).to.equal(allow);
}

function requestText(method: string, target: string, extra = ''): string {
  return `${method} ${target} HTTP/1.1\r\nHost: registry.test\r\nConnection: close\r\n${extra}\r\n`;
}

describe('OCI distribution API: methods the registry does not serve', function () {
  const fixture = useTestRegistry();
  const repositoryPath = '/v2/unserved/app/tags/list';

  const cases: Array<{ method: string; target: string; allow: string | undefined; layer: string }> = [
    { method: 'CONNECT', target: '/v2/', allow: 'GET, HEAD', layer: "node's connect event" },
    { method: 'CONNECT', target: repositoryPath, allow: 'GET, HEAD', layer: "node's connect event" },
    { method: 'CONNECT', target: 'example.com:443', allow: undefined, layer: "node's connect event (a proxy request)" },
    { method: 'BREW', target: '/v2/', allow: 'GET, HEAD', layer: "node's parser (HPE_INVALID_METHOD)" },
    { method: 'BREW', target: repositoryPath, allow: 'GET, HEAD', layer: "node's parser (HPE_INVALID_METHOD)" },
    { method: 'PROPFIND', target: '/v2/', allow: 'GET, HEAD', layer: 'the /v2 dispatcher' },
    { method: 'PROPFIND', target: repositoryPath, allow: 'GET, HEAD', layer: 'the /v2 dispatcher' },
    { method: 'TRACE', target: '/v2/', allow: 'GET, HEAD', layer: 'the /v2 dispatcher' },
    { method: 'TRACE', target: repositoryPath, allow: 'GET, HEAD', layer: 'the /v2 dispatcher' },
    { method: 'PROPFIND', target: '/', allow: 'GET, HEAD', layer: 'the fallback outside /v2' },
    { method: 'BREW', target: '/', allow: 'GET, HEAD', layer: "node's parser, outside /v2" },
  ];
  for (const { method, target, allow, layer } of cases) {
    it(`answers ${method} ${target} with 405 UNSUPPORTED as JSON${allow ? `, Allow: ${allow}` : ''} (${layer})`, async function () {
      expectUnsupported(await exchangeOverSocket(fixture.registry.url, requestText(method, target)), allow);
    });
  }

  it('closes the connection after answering a CONNECT and a BREW, and keeps serving others', async function () {
    expect((await exchangeOverSocket(fixture.registry.url, requestText('CONNECT', '/v2/'))).closed).to.equal(true);
    expect((await exchangeOverSocket(fixture.registry.url, requestText('BREW', '/v2/'))).closed).to.equal(true);
    expect((await fixture.client.get('/v2/')).status).to.equal(200);
  });

  it('answers a request it cannot parse with a JSON 400, then closes', async function () {
    const answer = await exchangeOverSocket(fixture.registry.url, 'GET /v2/ HTTP/1.1\r\nHost: x\r\nNot a header line\r\n\r\n');
    expect(answer.status).to.equal(400);
    expect(answer.headers['content-type']).to.equal('application/json');
    expect((JSON.parse(answer.body) as { errors: Array<{ code: string }> }).errors[0]!.code).to.match(/^[A-Z_]+$/);
    expect(answer.closed).to.equal(true);
  });

  it('answers a path outside /v2 with a JSON 404 whatever the method Express knows', async function () {
    const answer = await exchangeOverSocket(fixture.registry.url, requestText('PROPFIND', '/no/such/page'));
    expect(answer.status).to.equal(404);
    expect(answer.headers['content-type']).to.equal('application/json');
    expect((JSON.parse(answer.body) as { errors: Array<{ code: string }> }).errors[0]!.code).to.equal('NAME_UNKNOWN');
  });

  describe('over TLS', function () {
    let directory: string;
    let listener: RunningListener;

    before(async function () {
      this.timeout(20_000);
      directory = await mkdtemp(join(tmpdir(), 'registry-unserved-tls-'));
      const at = (name: string): string => join(directory, name);
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('server.key'), '-out', at('server.crt'),
        '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      ], { stdio: 'ignore' });
      const log = createLogger({ level: 'silent' });
      const { app } = createRegistryApp({
        driver: new FilesystemDriver({ rootDirectory: at('data') }),
        policy: { deleteEnabled: false, readOnly: false, catalogMaxEntries: 1000 },
        urls: { relative: false, tls: true },
        log,
        accessLog: false,
      });
      listener = await listen(app, { host: '127.0.0.1', port: 0, drainTimeoutMs: 1000, tls: { certificate: at('server.crt'), key: at('server.key') } }, log);
    });

    after(async function () {
      await listener?.close();
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it('answers CONNECT and BREW on a repository path with 405 UNSUPPORTED, Allow: GET, HEAD', async function () {
      expect(listener.url.startsWith('https://')).to.equal(true);
      expectUnsupported(await exchangeOverSocket(listener.url, requestText('CONNECT', repositoryPath)), 'GET, HEAD');
      expectUnsupported(await exchangeOverSocket(listener.url, requestText('BREW', repositoryPath)), 'GET, HEAD');
    });
  });
});
