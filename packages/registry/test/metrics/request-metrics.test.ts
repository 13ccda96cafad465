// What the app records of each request, driven in-process over real HTTP: the X-Request-Id (echoed when
// sane, generated otherwise, on every answer), request metrics labelled by route name (never the raw path),
// bytes, uploads in progress, and the access log line's fields.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { createRegistryApp } from '../../src/app.js';
import { listen, type RunningListener } from '../../src/http-listener.js';
import { RegistryMetrics } from '../../src/metrics/registry-metrics.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { instrumentDriver } from '../../src/storage/instrumented-driver.js';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';
import { parseExposition, samplesOf, valueOf } from './exposition-text.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type LogRecord = Record<string, unknown>;

describe('request ids, request metrics and the access log line', () => {
  let root: string;
  let listener: RunningListener;
  let metrics: RegistryMetrics;
  let client: RegistryApiClient;
  const lines: LogRecord[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'request-metrics-'));
    const destination = new PassThrough();
    let pending = '';
    destination.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part !== '') lines.push(JSON.parse(part) as LogRecord);
    });
    const log = createLogger({ level: 'info', destination });
    metrics = new RegistryMetrics({ version: 'test', processMetrics: false });
    const { app } = createRegistryApp({
      driver: instrumentDriver(new FilesystemDriver({ rootDirectory: root }), metrics.storage),
      policy: { deleteEnabled: true, readOnly: false, catalogMaxEntries: 100 },
      urls: { relative: false, tls: false },
      log,
      accessLog: true,
      headers: { 'X-Request-Id': ['configured-value-loses'] },
      metrics: metrics.http,
    });
    listener = await listen(app, { host: '127.0.0.1', port: 0, drainTimeoutMs: 1000 }, log);
    client = new RegistryApiClient(listener.url);
  });

  after(async () => {
    await listener.close();
    await rm(root, { recursive: true, force: true });
  });

  async function scrape() {
    return parseExposition((await metrics.scrape()).body);
  }

  /** The access log line of the request with this id (written when its response has ended). */
  async function lineOf(requestId: string): Promise<LogRecord> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const found = lines.find((line) => line.msg === 'request' && line.requestId === requestId);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no request line for ${requestId} in ${JSON.stringify(lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('generates a UUID request id on every answer, a 404 and an unrouted path included', async () => {
    for (const path of ['/v2/', '/v2/nothing/here/manifests/latest', '/no-such-page', '/healthz']) {
      const response = await fetch(`${listener.url}${path}`);
      expect(response.headers.get('x-request-id'), path).to.match(UUID);
    }
  });

  it('echoes a sane X-Request-Id and replaces one too long or with other characters', async () => {
    const sane = `trace-1.2:${'a'.repeat(100)}_X`;
    expect((await client.get('/v2/', { 'X-Request-Id': sane })).header('x-request-id')).to.equal(sane);
    for (const insane of ['a'.repeat(129), 'has space', 'semi;colon', 'quote"d', 'ünicode']) {
      const id = (await client.get('/v2/', { 'X-Request-Id': insane })).header('x-request-id');
      expect(id, insane).to.match(UUID);
    }
  });

  it('counts requests by route name, method and status, never by raw path', async () => {
    const series = { route: 'manifest', method: 'GET', status: '404' };
    const before = await scrape();
    for (const repository of ['one/a', 'two/b', 'three/c']) {
      expect((await client.fetchManifest(repository, 'latest')).status).to.equal(404);
    }
    const samples = await scrape();
    expect(valueOf(samples, 'registry_http_requests_total', series) - valueOf(before, 'registry_http_requests_total', series)).to.equal(3);
    expect(valueOf(samples, 'registry_http_request_duration_seconds_count', series) - valueOf(before, 'registry_http_request_duration_seconds_count', series)).to.equal(3);
    expect(samplesOf(samples, 'registry_http_requests_total', series)).to.have.length(1);
    const routes = new Set(samplesOf(samples, 'registry_http_requests_total').map((s) => s.labels.route));
    for (const route of routes) expect(route).to.match(/^(base|catalog|tags|manifest|blob|uploadStart|upload|referrers|token|root|healthz|readyz|unrouted)$/);
    expect(routes).to.include('unrouted').and.include('healthz').and.include('base');
  });

  it('logs one line per request with id, method, route, repository, status, bytes in and out, duration and user', async () => {
    const blob = randomBlob(3000);
    const requestId = `push-${randomUUID()}`;
    const post = await client.postBlob('team/app', blob, { 'X-Request-Id': requestId });
    expect(post.status).to.equal(201);
    const line = await lineOf(requestId);
    expect(line).to.include({ level: 'info', method: 'POST', route: 'uploadStart', repository: 'team/app', status: 201 });
    expect(line.url).to.contain('/v2/team/app/blobs/uploads/');
    expect(line.bytesIn).to.be.a('number').greaterThan(3000);
    expect(line.bytesOut).to.be.a('number').greaterThan(0);
    expect(line.ms).to.be.a('number').at.least(0);
    // An open registry knows no user: the field is left out (tests with auth check it).
    expect(line).to.not.have.property('user');

    const getId = `pull-${randomUUID()}`;
    expect((await client.get(`/v2/team/app/blobs/${blob.digest}`, { 'X-Request-Id': getId })).body.length).to.equal(3000);
    const get = await lineOf(getId);
    expect(get).to.include({ method: 'GET', route: 'blob', repository: 'team/app', status: 200, bytes: 3000 });
    expect(get.bytesOut).to.be.greaterThan(3000);
    expect(get.bytesIn).to.be.lessThan(1000);

    const samples = await scrape();
    expect(valueOf(samples, 'registry_http_received_bytes_total', { route: 'uploadStart' })).to.be.greaterThan(3000);
    expect(valueOf(samples, 'registry_http_sent_bytes_total', { route: 'blob' })).to.be.greaterThan(3000);
    expect(valueOf(samples, 'registry_storage_operation_duration_seconds_count', { driver: 'filesystem', operation: 'writer.commit' })).to.be.at.least(1);
  });

  it('counts an upload in progress while its body streams in, and not after', async () => {
    const session = await client.startUpload('team/slow');
    const blob = randomBlob(4096);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(blob.bytes.subarray(0, 1000));
        await released;
        controller.enqueue(blob.bytes.subarray(1000));
        controller.close();
      },
    });
    const patch = client.request('PATCH', session.location, { headers: { 'Content-Type': 'application/octet-stream' }, body });
    const deadline = Date.now() + 3000;
    while (valueOf(await scrape(), 'registry_uploads_in_progress') !== 1) {
      if (Date.now() > deadline) throw new Error('the upload was never counted in progress');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    release();
    expect((await patch).status).to.equal(202);
    expect((await client.completeUpload(session.location, blob.digest)).status).to.equal(201);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(valueOf(await scrape(), 'registry_uploads_in_progress')).to.equal(0);
  });
});
