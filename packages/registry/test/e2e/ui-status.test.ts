// The web UI's status page against the real pieces it reports on: a registry process whose mirror has one
// upstream that answers (the reference registry) and one that does not, a webhook endpoint, a discovery
// record a sidekick would write in a real etcd, and a garbage collection run by `private-registry gc`.
import { createServer, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { createEtcdClient } from '@private-registry/core/etcd';
import { registryKey, serializeRegistryRecord } from '@private-registry/core';
import {
  CLI_PATH,
  cleanupTestbed,
  freePort,
  runCommand,
  startEtcd,
  startReferenceRegistry,
  startRegistryProcess,
  tempDir,
  waitUntil,
  withoutRegistryEnv,
  type Etcd,
  type ReferenceRegistry,
  type RegistryProcess,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';
import { randomBlob } from '../api/oci-content.js';

const PREFIX = '/test/ui-discovery/';

/** The page's text without tags, whitespace collapsed: what a reader sees. */
function visibleText(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('web UI status page against real components @e2e', function () {
  this.timeout(120_000);
  let etcd: Etcd;
  let upstream: ReferenceRegistry;
  let registry: RegistryProcess;
  let hook: Server;
  let deadPort: number;
  let etcdClient: ReturnType<typeof createEtcdClient> | undefined;

  before(async () => {
    [etcd, upstream, deadPort] = await Promise.all([startEtcd(), startReferenceRegistry(), freePort()]);
    hook = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const hookPort = (hook.address() as { port: number }).port;
    registry = await startRegistryProcess({
      config: {
        // One process: the notification queues are its own (under workers they are the primary's).
        http: { workers: 1 },
        proxy: {
          upstreams: [
            { name: 'reference', url: upstream.url, prefix: 'ref' },
            { name: 'nowhere', url: `http://127.0.0.1:${deadPort}`, prefix: 'dead' },
          ],
        },
        notifications: { endpoints: [{ name: 'audit-hook', url: `http://127.0.0.1:${hookPort}/events`, timeout: '2s', threshold: 3, backoff: '1s' }] },
        ui: { discovery: { endpoints: [etcd.endpoint], prefix: PREFIX } },
      },
    });
  });
  after(async () => {
    etcdClient?.close();
    hook.close();
    await cleanupTestbed();
  });

  it('shows the store, the last collection, both upstreams, the webhook queue and the announced registries', async () => {
    // Something to collect: a blob no manifest references, older than the grace period we give gc.
    const client = new RegistryApiClient(registry.url);
    const orphan = randomBlob(70_000);
    await client.pushBlob('local/app', orphan);
    await client.pushImage('local/app', 'v1');
    const config = join((await tempDir('ui-gc')).path, 'config.yml');
    await writeFile(config, JSON.stringify({ version: '0.1', storage: { filesystem: { rootdirectory: registry.rootDirectory }, delete: { enabled: true } } }));
    const gc = await runCommand(process.execPath, [CLI_PATH, 'gc', '--config', config, '--grace-period', '0s'], { timeoutMs: 60_000, env: withoutRegistryEnv() });
    expect(gc.exitCode, gc.stderr).to.equal(0);

    // What a sidekick announces for another registry.
    etcdClient = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
    const record = { id: '10.0.0.7:5000', url: 'http://10.0.0.7:5000', scheme: 'http' as const, host: '10.0.0.7', port: 5000, hostname: 'builder-7', version: '9.9.9', startedAt: new Date().toISOString() };
    await etcdClient.put(registryKey(PREFIX, record.id)).value(serializeRegistryRecord(record));

    // The receiver has the push events (delivered from the queue a moment after the pushes): the page shows them.
    let text = '';
    await waitUntil(async () => {
      const response = await fetch(`${registry.url}/ui/status`);
      expect(response.status).to.equal(200);
      text = visibleText(await response.text());
      return Number(/audit-hook (\d+) (\d+) (\d+) (\d+)/.exec(text)?.[2]) > 0;
    }, 10_000, 'the status page shows delivered events');
    expect(text).to.include('Status');
    // Storage: the filesystem root and its free space.
    expect(text).to.include(registry.rootDirectory);
    expect(text).to.match(/Free [\d.]+ [KMGT]?i?B of [\d.]+ [KMGT]?i?B \(\d+%\)/);
    // The collection ran through the CLI and freed the orphan (70,000 bytes = 68.4 KiB), recorded in the store.
    expect(text).to.match(/Freed 68\.4 KiB \(1 blobs, 0 manifests, 0 tags\)/);
    expect(text).to.match(/Used by images [\d.]+ [KMG]?i?B \(counted by the last garbage collection\)/);
    // The upstreams as they are now: the reference answers, the other port has nobody.
    expect(text).to.match(/reference .*up answering \(200\) in \d+ ms/);
    expect(text).to.match(/nowhere .*down not answering: ECONNREFUSED/);
    // The announced registry, read from etcd.
    expect(text).to.include('http://10.0.0.7:5000');
    expect(text).to.include('builder-7');
    expect(text).to.include('9.9.9');
  });

  it('says so when the discovery etcd does not answer, and still shows the rest', async () => {
    await etcd.stop();
    const started = Date.now();
    const response = await fetch(`${registry.url}/ui/status`);
    expect(response.status).to.equal(200);
    const text = visibleText(await response.text());
    expect(text).to.include(`etcd did not answer: ${etcd.endpoint}`);
    expect(text).to.include('audit-hook');
    expect(Date.now() - started, 'the read has a 2 s deadline').to.be.below(6_000);
  });
});
