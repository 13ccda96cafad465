// Webhook notifications from a real registry process to a real receiver that fails, then is down for a
// while, then recovers: the registry is stopped (SIGTERM) and killed (SIGKILL) in the middle of the
// outage, and every event still arrives once, in order per repository, in distribution's envelope.
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, startRegistryProcess, type RegistryProcess } from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { EventReceiver, type ReceivedEvent } from '../notifications/event-receiver.js';

const SECRET = 'Bearer e2e-hook-secret-4242';
const MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** What a receiver can check an event against: action, repository and what it names. */
const line = (e: ReceivedEvent): string => `${e.action} ${e.target.repository} ${String(e.target.tag ?? e.target.digest ?? '')}${e.target.fromRepository ? ` from ${String(e.target.fromRepository)}` : ''}`;

describe('notifications from a registry process through a receiver outage and restarts @e2e', function () {
  this.timeout(120_000);
  after(cleanupTestbed);

  it('delivers every push, pull, mount and delete once, in order per repository, after the receiver recovers', async () => {
    const receiver = await EventReceiver.start();
    receiver.status = 500;
    let registry: RegistryProcess | undefined;
    try {
      const options = {
        config: {
          notifications: {
            endpoints: [
              { name: 'hook', url: receiver.url, headers: { Authorization: [SECRET] }, timeout: '1s', threshold: 3, backoff: '300ms' },
              { name: 'off', disabled: true, url: 'http://127.0.0.1:9/never' },
            ],
          },
        },
      };
      registry = await startRegistryProcess(options);
      const restartOptions = { ...options, rootDirectory: registry.rootDirectory, port: registry.port };
      const client = new RegistryApiClient(registry.url);
      const expected = new Map<string, string[]>();
      const expect_ = (repository: string, ...lines: string[]): void => void expected.set(repository, [...(expected.get(repository) ?? []), ...lines]);

      // Phase 1: the receiver answers 500.
      const app = await client.pushImage('team/app', 'v1');
      const layer = app.layers[0]?.digest ?? '';
      expect_('team/app', `push team/app ${app.config.digest}`, `push team/app ${layer}`, `push team/app v1`);
      expect((await client.fetchManifest('team/app', 'v1')).status).to.equal(200);
      expect((await client.get(`/v2/team/app/blobs/${layer}`)).status).to.equal(200);
      expect_('team/app', 'pull team/app v1', `pull team/app ${layer}`);
      expect((await client.mount('team/copy', layer, 'team/app')).status).to.equal(201);
      expect_('team/copy', `mount team/copy ${layer} from team/app`);

      // Phase 2: the receiver is down; the registry stops gracefully and starts again.
      await receiver.down();
      expect((await client.delete('/v2/team/app/manifests/v1')).status).to.equal(202);
      expect_('team/app', 'delete team/app v1');
      await registry.stop();
      registry = await startRegistryProcess(restartOptions);

      // Phase 3: still down; more events, then the registry is killed without warning.
      const copy = await client.pushImage('team/copy', 'v2');
      expect_('team/copy', `push team/copy ${copy.config.digest}`, `push team/copy ${copy.layers[0]?.digest ?? ''}`, 'push team/copy v2');
      expect((await client.delete(`/v2/team/copy/manifests/${copy.manifest.digest}`)).status).to.equal(202);
      expect_('team/copy', `delete team/copy ${copy.manifest.digest}`);
      // Events reach the disk right after the response (group commit), well within this pause.
      await new Promise((resolve) => setTimeout(resolve, 500));
      await registry.kill();
      const queued = await readdir(join(registry.rootDirectory, 'notifications', 'hook'));
      expect(queued.filter((name) => name.endsWith('.events')).length).to.be.greaterThan(0);
      registry = await startRegistryProcess(restartOptions);

      // Phase 4: the receiver recovers.
      await receiver.up();
      receiver.status = 202;
      const total = [...expected.values()].reduce((n, lines) => n + lines.length, 0);
      const events = await receiver.waitForAccepted((e) => e.length >= total, 30_000);
      // Settle: nothing more (no duplicates) may follow.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(receiver.accepted).to.have.length(total);

      for (const [repository, lines] of expected) {
        expect(events.filter((e) => e.target.repository === repository).map(line), repository).to.deep.equal(lines);
      }
      expect(new Set(events.map((e) => e.id)).size).to.equal(total);
      // Two processes generated them (the third only delivered): each start has its own instance ID.
      expect(new Set(events.map((e) => e.source.instanceID)).size).to.equal(2);

      for (const request of receiver.requests) {
        expect(request.method).to.equal('POST');
        expect(request.headers['content-type']).to.equal(MEDIA_TYPE);
        expect(request.headers.authorization).to.equal(SECRET);
        expect(request.events).to.have.length(1);
      }
      const push = events.find((e) => e.action === 'push' && e.target.tag === 'v1');
      expect(push).to.not.equal(undefined);
      expect(Object.keys(push ?? {})).to.deep.equal(['id', 'timestamp', 'action', 'target', 'request', 'actor', 'source']);
      expect(push?.target).to.include({ mediaType: app.manifest.mediaType, digest: app.manifest.digest, size: app.manifest.size, length: app.manifest.size, repository: 'team/app', tag: 'v1' });
      expect(push?.target.url).to.equal(`${registry.url}/v2/team/app/manifests/${app.manifest.digest}`);
      expect(push?.request).to.include({ method: 'PUT', host: registry.host });
      expect(Object.keys(push?.request ?? {})).to.deep.equal(['id', 'addr', 'host', 'method', 'useragent']);
      expect(Object.keys(push?.source ?? {})).to.deep.equal(['addr', 'instanceID']);
      expect(String(push?.source.addr)).to.match(new RegExp(`:${registry.port}$`));

      const log = await registry.process.readLog();
      expect(log).not.to.include('e2e-hook-secret');
      expect(log).to.include('notification endpoint delivering again');
    } finally {
      await registry?.stop();
      await receiver.close();
    }
  });
});
