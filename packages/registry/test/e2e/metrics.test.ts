// The metrics and request logs of a registry process, as an operator scrapes and reads them: push and pull
// over real HTTP, then /metrics on http.debug.addr shows the requests by route, the bytes, the storage
// operations and the auth refusals, and every answer carries an X-Request-Id that its log line names.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basicAuth, cleanupTestbed, freePort, startReferenceRegistry, startRegistryProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { parseExposition, samplesOf, typeOf, valueOf, type Sample } from '../metrics/exposition-text.js';
import { startOurRegistry, type OurRegistry } from './interop-helpers.js';
import { USERS, startAuthRegistry } from './auth-fixture.js';
import { pullImage, pushImage } from './mirror-images.js';

type LogRecord = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function scrape(debugUrl: string): Promise<{ text: string; samples: Sample[] }> {
  const response = await fetch(`${debugUrl}/metrics`);
  expect(response.status).to.equal(200);
  expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { text, samples: parseExposition(text) };
}

/** The access log line of the request with this id, waiting briefly (it is written when the response ends). */
async function requestLine(registry: { process: { readLog(): Promise<string> } }, requestId: string): Promise<LogRecord> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const lines = (await registry.process.readLog()).split('\n').filter((line) => line.startsWith('{'));
    const found = lines.map((line) => JSON.parse(line) as LogRecord).find((r) => r.msg === 'request' && r.requestId === requestId);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no request line with requestId ${requestId}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('metrics and request logs of the private-registry process @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('counts pushes and pulls by route, method and status with latencies, bytes and storage operations on the debug listener', async () => {
    const debugPort = await freePort();
    const registry: OurRegistry = await startOurRegistry({ config: { http: { debug: { addr: `127.0.0.1:${debugPort}` } } } });
    const debugUrl = `http://127.0.0.1:${debugPort}`;
    try {
      const { client } = registry;
      // A chunked push as docker does it (streamed PATCH, closing PUT), then a manifest, then a pull.
      const image = await client.pushImage('ops/metrics', 'v1');
      const session = await client.startUpload('ops/metrics');
      const big = randomBlob(256 * 1024);
      expect((await client.patchStream(session.location, big.bytes)).status).to.equal(202);
      expect((await client.completeUpload(session.location, big.digest)).status).to.equal(201);
      expect((await client.fetchManifest('ops/metrics', 'v1')).status).to.equal(200);
      const layer = image.layers[0]!;
      expect((await client.get(`/v2/ops/metrics/blobs/${big.digest}`)).body.length).to.equal(big.bytes.length);
      expect((await client.head(`/v2/ops/metrics/blobs/${layer.digest}`)).status).to.equal(200);
      expect((await client.fetchManifest('ops/metrics', 'missing')).status).to.equal(404);

      const { text, samples } = await scrape(debugUrl);
      const requests = (labels: Record<string, string>) => valueOf(samples, 'registry_http_requests_total', labels);
      expect(requests({ route: 'manifest', method: 'PUT', status: '201' })).to.equal(1);
      expect(requests({ route: 'manifest', method: 'GET', status: '200' })).to.equal(1);
      expect(requests({ route: 'manifest', method: 'GET', status: '404' })).to.equal(1);
      expect(requests({ route: 'uploadStart', method: 'POST', status: '202' })).to.equal(3);
      expect(requests({ route: 'upload', method: 'PATCH', status: '202' })).to.equal(1);
      expect(requests({ route: 'upload', method: 'PUT', status: '201' })).to.equal(3);
      expect(requests({ route: 'blob', method: 'GET', status: '200' })).to.equal(1);
      expect(requests({ route: 'blob', method: 'HEAD', status: '200' })).to.equal(1);
      // No raw path, repository or digest in any label.
      for (const sample of samplesOf(samples, 'registry_http_requests_total')) expect(JSON.stringify(sample.labels)).to.not.contain('ops/metrics');
      expect(typeOf(text, 'registry_http_request_duration_seconds')).to.equal('histogram');
      expect(valueOf(samples, 'registry_http_request_duration_seconds_count', { route: 'upload', method: 'PATCH' })).to.equal(1);
      expect(valueOf(samples, 'registry_http_request_duration_seconds_bucket', { route: 'blob', method: 'GET', le: '+Inf' })).to.equal(1);
      expect(valueOf(samples, 'registry_http_received_bytes_total', { route: 'upload' })).to.be.greaterThan(big.bytes.length);
      expect(valueOf(samples, 'registry_http_sent_bytes_total', { route: 'blob' })).to.be.greaterThan(big.bytes.length);
      expect(valueOf(samples, 'registry_uploads_in_progress')).to.equal(0);
      const storage = (operation: string) => valueOf(samples, 'registry_storage_operation_duration_seconds_count', { driver: 'filesystem', operation });
      // Three blobs pushed (config, layer, the chunked one): each committed and moved into place.
      expect(storage('writer.commit')).to.be.at.least(3);
      expect(storage('move')).to.be.at.least(3);
      expect(storage('getContent')).to.be.at.least(1);
      expect(valueOf(samples, 'registry_storage_errors_total')).to.equal(0);
      expect(samplesOf(samples, 'registry_build_info')[0]?.labels.version).to.match(/^\d+\.\d+\.\d+/);
      expect(valueOf(samples, 'process_resident_memory_bytes')).to.be.greaterThan(0);
      expect(valueOf(samples, 'registry_gc_runs_total')).to.equal(0);
      // The other debug endpoints stay as they were.
      expect((await fetch(`${debugUrl}/debug/health`)).status).to.equal(200);
    } finally {
      await registry.stop();
    }
  });

  it('returns a request id on every answer, echoing a sane one, and logs it with route, repository, bytes and duration', async () => {
    const registry = await startOurRegistry({ config: { http: { debug: { addr: `127.0.0.1:${await freePort()}` } } } });
    try {
      const given = `lb-${randomUUID()}`;
      const blob = randomBlob(5000);
      const push = await registry.client.postBlob('ops/ids', blob, { 'X-Request-Id': given });
      expect(push.status).to.equal(201);
      expect(push.header('x-request-id')).to.equal(given);
      const line = await requestLine(registry, given);
      expect(line).to.include({ level: 'info', method: 'POST', route: 'uploadStart', repository: 'ops/ids', status: 201 });
      expect(line.bytesIn).to.be.greaterThan(5000);
      expect(line.bytesOut).to.be.greaterThan(0);
      expect(line.ms).to.be.a('number');

      const missing = await fetch(`${registry.url}/v2/ops/ids/manifests/none`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
      expect(missing.status).to.equal(404);
      const generated = missing.headers.get('x-request-id') ?? '';
      expect(generated).to.match(UUID);
      expect(await requestLine(registry, generated)).to.include({ route: 'manifest', repository: 'ops/ids', status: 404 });
    } finally {
      await registry.stop();
    }
  });

  it('counts auth refusals by reason, with a request id on each 401, and logs the user of an authenticated request', async () => {
    const debugPort = await freePort();
    const registry = await startAuthRegistry({ mode: 'basic', config: { http: { debug: { addr: `127.0.0.1:${debugPort}` } } } });
    try {
      const client = new RegistryApiClient(registry.url);
      const anonymous = await client.get('/v2/');
      expect(anonymous.status).to.equal(401);
      expect(anonymous.header('x-request-id')).to.match(UUID);
      const wrong = await client.get('/v2/', { Authorization: basicAuth(USERS.ci.user, 'not-the-password') });
      expect(wrong.status).to.equal(401);
      expect(wrong.header('x-request-id')).to.match(UUID);
      // ci may push ci/** only: pushing elsewhere is a 403.
      const denied = await client.request('POST', '/v2/cache/x/blobs/uploads/', { headers: { Authorization: basicAuth(USERS.ci.user, USERS.ci.password) }, body: Buffer.alloc(0) });
      expect(denied.status).to.equal(403);
      const allowed = await client.get('/v2/ci/app/tags/list', { Authorization: basicAuth(USERS.reader.user, USERS.reader.password), 'X-Request-Id': 'reader-1' });
      expect(allowed.status).to.equal(404);
      expect(await requestLine(registry, 'reader-1')).to.include({ user: 'reader', route: 'tags', repository: 'ci/app', status: 404 });

      const { samples } = await scrape(`http://127.0.0.1:${debugPort}`);
      expect(valueOf(samples, 'registry_auth_failures_total', { reason: 'unauthenticated' })).to.equal(1);
      expect(valueOf(samples, 'registry_auth_failures_total', { reason: 'invalid_credentials' })).to.equal(1);
      expect(valueOf(samples, 'registry_auth_failures_total', { reason: 'denied' })).to.equal(1);
      expect(valueOf(samples, 'registry_http_requests_total', { route: 'base', method: 'GET', status: '401' })).to.equal(2);
    } finally {
      await registry.stop();
    }
  });

  it("shows a mirror's misses, hits and upstream bytes", async () => {
    const upstream = await startReferenceRegistry();
    const debugPort = await freePort();
    const mirror = await startRegistryProcess({ config: { proxy: { remoteurl: upstream.url }, http: { debug: { addr: `127.0.0.1:${debugPort}` } } } });
    try {
      const image = await pushImage(upstream.url, 'team/mirrored', 'v1', [200_000, 50_000]);
      await pullImage(mirror.url, image);
      const cold = (await scrape(`http://127.0.0.1:${debugPort}`)).samples;
      const imageBytes = image.blobs.reduce((sum, blob) => sum + blob.bytes.length, 0);
      // Each blob downloaded once: ahead of the client (prefetched from the manifest) or for the client's GET.
      expect(valueOf(cold, 'registry_mirror_misses_total') + valueOf(cold, 'registry_mirror_prefetched_total')).to.be.at.least(image.blobs.length + 1);
      expect(valueOf(cold, 'registry_mirror_upstream_bytes_total')).to.be.at.least(imageBytes);
      const hitsBefore = valueOf(cold, 'registry_mirror_hits_total');
      await pullImage(mirror.url, image);
      const warm = (await scrape(`http://127.0.0.1:${debugPort}`)).samples;
      // The blobs come from the cache now (the manifest by tag may be revalidated upstream).
      expect(valueOf(warm, 'registry_mirror_hits_total') - hitsBefore).to.be.at.least(image.blobs.length);
      expect(valueOf(warm, 'registry_mirror_upstream_bytes_total')).to.be.lessThan(2 * imageBytes);
    } finally {
      await mirror.stop();
      await upstream.stop();
    }
  });

  it("records the server's garbage collections and the notification endpoints' deliveries", async () => {
    const debugPort = await freePort();
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        received.push(req.url ?? '');
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const receiverPort = (receiver.address() as AddressInfo).port;
    const registry: OurRegistry = await startOurRegistry({
      config: {
        http: { debug: { addr: `127.0.0.1:${debugPort}` } },
        storage: { gc: { enabled: true, interval: '1s', graceperiod: '0s', deleteuntagged: true } },
        notifications: { endpoints: [{ name: 'hook', url: `http://127.0.0.1:${receiverPort}/events`, timeout: '1s', threshold: 3, backoff: '1s' }] },
      },
    });
    try {
      await registry.client.pushImage('ops/gc', 'v1');
      await registry.client.pushImage('ops/gc', 'v1');
      const debugUrl = `http://127.0.0.1:${debugPort}`;
      const deadline = Date.now() + 15_000;
      let samples: Sample[] = [];
      let text = '';
      while (Date.now() < deadline) {
        ({ text, samples } = await scrape(debugUrl));
        if (valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'manifest' }) >= 1 && received.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(valueOf(samples, 'registry_gc_runs_total', { result: 'ok' })).to.be.at.least(1);
      expect(valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'manifest' })).to.equal(1);
      expect(valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'blob' })).to.be.at.least(3);
      expect(valueOf(samples, 'registry_gc_freed_bytes_total')).to.be.greaterThan(1024);
      expect(valueOf(samples, 'registry_notifications_events_total', { endpoint: 'hook' })).to.be.at.least(2);
      expect(valueOf(samples, 'registry_notifications_successes_total', { endpoint: 'hook' })).to.be.at.least(1);
      expect(typeOf(text, 'registry_notifications_pending')).to.equal('gauge');
    } finally {
      await registry.stop();
      receiver.close();
    }
  });
});
