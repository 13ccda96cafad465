// The events the registry's handlers report, through an in-process registry with two endpoints: what
// distribution would send for a push, a pull, a mount and deletes, and each endpoint's ignore rules.
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { createRegistryApp } from '../../src/app.js';
import { listen } from '../../src/http-listener.js';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { NotificationBus } from '../../src/notifications/notification-bus.js';
import type { NotificationEndpointConfig } from '../../src/config/registry-config.js';
import { RegistryApiClient } from '../api/api-client.js';
import { EventReceiver, type ReceivedEvent } from './event-receiver.js';

const log = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

function endpoint(name: string, url: string, extra: Partial<NotificationEndpointConfig> = {}): NotificationEndpointConfig {
  return { name, url, headers: {}, timeoutMs: 1_000, threshold: 10, backoffMs: 100, ignoredMediaTypes: [], ignoredActions: [], ...extra };
}

const summary = (events: ReceivedEvent[]): string[][] =>
  events.map((e) => [e.action, e.target.repository, String(e.target.mediaType ?? ''), String(e.target.tag ?? ''), String(e.target.fromRepository ?? '')]);

describe('notifications: events from the registry handlers', function () {
  this.timeout(20_000);
  let all: EventReceiver;
  let pushesOnly: EventReceiver;
  let bus: NotificationBus;
  let client: RegistryApiClient;
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    all = await EventReceiver.start();
    pushesOnly = await EventReceiver.start();
    const root = (await tempDir('bus-root')).path;
    const started = await NotificationBus.start(
      {
        queueDirectory: (await tempDir('bus-queue')).path,
        includeReferences: true,
        endpoints: [
          endpoint('all', all.url),
          // distribution's documented use: `mediatypes` plus actions, to receive manifest pushes only.
          endpoint('pushes', pushesOnly.url, { ignoredMediaTypes: ['application/octet-stream'], ignoredActions: ['pull', 'delete', 'mount'] }),
        ],
      },
      { log, sourceAddr: 'registry-1:5000' },
    );
    if (started === undefined) throw new Error('no bus');
    bus = started;
    const { app } = createRegistryApp({
      driver: new FilesystemDriver({ rootDirectory: root }),
      policy: { deleteEnabled: true, readOnly: false, catalogMaxEntries: 1000 },
      urls: { relative: false, tls: false },
      log,
      accessLog: false,
      notifications: bus,
    });
    const listener = await listen(app, { host: '127.0.0.1', port: 0, drainTimeoutMs: 2000 }, log);
    url = listener.url;
    client = new RegistryApiClient(url);
    close = async () => {
      await listener.close();
      await bus.close();
      await all.close();
      await pushesOnly.close();
    };
  });
  after(async () => {
    await close();
    await cleanupTestbed();
  });

  it('reports push, pull (GET and HEAD), mount and deletes in the order they happened, in distribution\'s shape', async () => {
    const image = await client.pushImage('team/app', 'v1');
    const layer = image.layers[0];
    if (layer === undefined) throw new Error('no layer');
    expect((await client.fetchManifest('team/app', 'v1')).status).to.equal(200);
    expect((await client.fetchManifest('team/app', image.manifest.digest, 'HEAD')).status).to.equal(200);
    expect((await client.get(`/v2/team/app/blobs/${layer.digest}`, { 'User-Agent': 'test-agent/1.0' })).status).to.equal(200);
    expect((await client.mount('team/copy', layer.digest, 'team/app')).status).to.equal(201);
    expect((await client.delete(`/v2/team/app/manifests/v1`)).status).to.equal(202);
    expect((await client.delete(`/v2/team/app/manifests/${image.manifest.digest}`)).status).to.equal(202);
    expect((await client.delete(`/v2/team/copy/blobs/${layer.digest}`)).status).to.equal(202);

    const events = await all.waitForAccepted((e) => e.length === 10);
    const M = image.manifest.mediaType;
    const B = 'application/octet-stream';
    expect(summary(events)).to.deep.equal([
      ['push', 'team/app', B, '', ''],
      ['push', 'team/app', B, '', ''],
      ['push', 'team/app', M, 'v1', ''],
      ['pull', 'team/app', M, 'v1', ''],
      ['pull', 'team/app', M, '', ''],
      ['pull', 'team/app', B, '', ''],
      ['mount', 'team/copy', B, '', 'team/app'],
      ['delete', 'team/app', '', 'v1', ''],
      ['delete', 'team/app', '', '', ''],
      ['delete', 'team/copy', '', '', ''],
    ]);
    const manifestPush = events[2] as ReceivedEvent;
    expect(Object.keys(manifestPush)).to.deep.equal(['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source']);
    expect(manifestPush.target).to.deep.include({
      mediaType: M,
      digest: image.manifest.digest,
      size: image.manifest.size,
      length: image.manifest.size,
      repository: 'team/app',
      url: `${url}/v2/team/app/manifests/${image.manifest.digest}`,
      tag: 'v1',
    });
    expect((manifestPush.target.references as { digest: string }[]).map((d) => d.digest)).to.deep.equal([image.config.digest, layer.digest]);
    expect(manifestPush.request).to.include({ method: 'PUT', host: url.replace('http://', '') });
    expect(String(manifestPush.request.addr)).to.match(/^127\.0\.0\.1:\d+$/);
    expect(manifestPush.actor).to.deep.equal({});
    expect(manifestPush.source).to.deep.include({ addr: 'registry-1:5000' });
    expect(new Date(manifestPush.timestamp).getTime()).to.be.closeTo(Date.now(), 60_000);
    expect(events[5]?.request).to.include({ method: 'GET', useragent: 'test-agent/1.0' });
    expect(events[4]?.request).to.include({ method: 'HEAD' });
    expect(events[9]?.target).to.deep.equal({ digest: layer.digest, repository: 'team/copy' });
    expect(new Set(events.map((e) => e.id)).size).to.equal(10);
  });

  it('sends an endpoint only what its ignore rules let through', async () => {
    const events = await pushesOnly.waitForAccepted((e) => e.length >= 1);
    await bus.flushed();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(summary(pushesOnly.accepted).map(([action, , , tag]) => [action, tag])).to.deep.equal([['push', 'v1']]);
    expect(events[0]?.target.tag).to.equal('v1');
    expect(bus.stats()).to.deep.include({ pushes: { events: 1, successes: 1, failures: 0, errors: 0, pending: 0, lost: 0 } });
    expect(bus.stats().all).to.include({ events: 10, successes: 10, pending: 0 });
  });
});
