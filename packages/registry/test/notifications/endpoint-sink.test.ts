// One endpoint against a real HTTP receiver: order, headers, retries through an outage, the breaker's
// backoff, and a queue that outlives the sink.
import { expect } from 'chai';
import { createServer, type Socket } from 'node:net';
import { createLogger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import type { NotificationEndpointConfig } from '../../src/config/registry-config.js';
import { DiskQueue } from '../../src/notifications/disk-queue.js';
import { EndpointSink } from '../../src/notifications/endpoint-sink.js';
import { EVENTS_MEDIA_TYPE } from '../../src/notifications/notification-event.js';
import { EventReceiver } from './event-receiver.js';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function endpoint(url: string, extra: Partial<NotificationEndpointConfig> = {}): NotificationEndpointConfig {
  return { name: 'test', url, headers: {}, timeoutMs: 1_000, threshold: 10, backoffMs: 100, ignoredMediaTypes: [], ignoredActions: [], ...extra };
}

const event = (n: number): string => JSON.stringify({ id: `e${n}`, action: 'push', target: { repository: 'team/app', tag: `t${n}` } });
const numbers = (events: { id: string }[]): number[] => events.map((e) => Number(e.id.slice(1)));

async function openSink(dir: string, config: NotificationEndpointConfig): Promise<EndpointSink> {
  const sink = new EndpointSink(config, await DiskQueue.open(dir), log);
  sink.start();
  return sink;
}

describe('notifications: endpoint sink', function () {
  this.timeout(20_000);
  const receivers: EventReceiver[] = [];
  const sinks: EndpointSink[] = [];
  async function receiver(): Promise<EventReceiver> {
    const r = await EventReceiver.start();
    receivers.push(r);
    return r;
  }
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });
  after(cleanupTestbed);

  it('POSTs one event per envelope, in order, with the events media type and the configured headers', async () => {
    const r = await receiver();
    const url = r.url.replace('http://', 'http://hook:s3cret@');
    const sink = await openSink((await tempDir('sink')).path, endpoint(url, { headers: { 'X-Team': ['blue', 'green'] } }));
    sinks.push(sink);
    for (let n = 1; n <= 5; n++) sink.enqueue(event(n));
    await r.waitForAccepted((events) => events.length === 5);
    expect(numbers(r.accepted)).to.deep.equal([1, 2, 3, 4, 5]);
    const first = r.requests[0];
    expect(first?.method).to.equal('POST');
    expect(first?.headers['content-type']).to.equal(EVENTS_MEDIA_TYPE);
    expect(first?.headers['x-team']).to.equal('blue, green');
    expect(first?.headers.authorization).to.equal(`Basic ${Buffer.from('hook:s3cret').toString('base64')}`);
    expect(r.requests.every((req) => req.events.length === 1)).to.equal(true);
    expect(sink.stats()).to.deep.include({ events: 5, successes: 5, failures: 0, errors: 0, pending: 0 });
  });

  it('keeps retrying through 500s and a receiver that is down, then delivers every event once, in order', async () => {
    const r = await receiver();
    r.status = 500;
    const sink = await openSink((await tempDir('sink')).path, endpoint(r.url, { threshold: 2, backoffMs: 50 }));
    sinks.push(sink);
    for (let n = 1; n <= 3; n++) sink.enqueue(event(n));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await r.down();
    for (let n = 4; n <= 6; n++) sink.enqueue(event(n));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.accepted).to.deep.equal([]);
    const stalled = sink.stats();
    expect(stalled.pending).to.equal(6);
    expect(stalled.failures).to.be.greaterThan(0);
    expect(stalled.errors).to.be.greaterThan(0);
    await r.up();
    r.status = 202;
    await r.waitForAccepted((events) => events.length === 6);
    expect(numbers(r.accepted)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(sink.stats()).to.include({ successes: 6, pending: 0 });
  });

  it('retries at once until `threshold` consecutive failures, then waits `backoff` before each retry', async () => {
    const r = await receiver();
    r.status = 503;
    const sink = await openSink((await tempDir('sink')).path, endpoint(r.url, { threshold: 3, backoffMs: 400 }));
    sinks.push(sink);
    sink.enqueue(event(1));
    const deadline = Date.now() + 5_000;
    while (r.requests.length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const gaps = r.requests.slice(1, 5).map((req, i) => req.at - (r.requests[i]?.at ?? 0));
    expect(gaps[0]).to.be.lessThan(200);
    expect(gaps[1]).to.be.lessThan(200);
    expect(gaps[2]).to.be.at.least(350);
    expect(gaps[3]).to.be.at.least(350);
  });

  it('leaves undelivered events on disk at close, and a new sink on the same directory sends them first', async () => {
    const r = await receiver();
    await r.down();
    const dir = (await tempDir('sink')).path;
    const before = await openSink(dir, endpoint(r.url, { threshold: 1, backoffMs: 50 }));
    for (let n = 1; n <= 4; n++) before.enqueue(event(n));
    await before.flushed();
    await before.close();
    await r.up();
    const after = await openSink(dir, endpoint(r.url));
    sinks.push(after);
    expect(after.stats().pending).to.equal(4);
    after.enqueue(event(5));
    await r.waitForAccepted((events) => events.length === 5);
    expect(numbers(r.accepted)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('gives up on an answer slower than `timeout` and counts it as an error', async () => {
    // A TCP listener that accepts and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const port = (silent.address() as { port: number }).port;
    const sink = await openSink((await tempDir('sink')).path, endpoint(`http://127.0.0.1:${port}/`, { timeoutMs: 150, threshold: 100 }));
    sink.enqueue(event(1));
    await new Promise((resolve) => setTimeout(resolve, 700));
    const stats = sink.stats();
    await sink.close();
    for (const socket of sockets) socket.destroy();
    silent.close();
    expect(stats.errors).to.be.within(2, 6);
    expect(stats.pending).to.equal(1);
  });
});
