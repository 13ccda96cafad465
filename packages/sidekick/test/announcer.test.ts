// The announcer loop in-process against a real etcd, with a prober the test steers: a registry whose
// answers are scripted probe by probe shows the thresholds and the etcd-outage paths exactly.
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '@private-registry/core';
import { createEtcdClient } from '@private-registry/core/etcd';
import { cleanupTestbed, startEtcd, type Etcd } from '@private-registry/testbed';
import type { Etcd3 } from 'etcd3';
import { Announcer, type AnnouncerTimings } from '../src/announcer.js';
import { buildRegistryRecord } from '../src/announcement.js';
import { LeasedKey } from '../src/leased-key.js';
import type { ProbeResult } from '../src/registry-probe.js';
import { EtcdReader, waitUntil, type LogEntry } from './sidekick-under-test.js';

/** A registry whose health the test sets; `next` answers take precedence over `alive`, one per probe. */
class ScriptedRegistry {
  alive = true;
  version: string | undefined;
  next: boolean[] = [];
  probes = 0;

  probe(): Promise<ProbeResult> {
    this.probes += 1;
    const alive = this.next.shift() ?? this.alive;
    const result: ProbeResult = alive
      ? { alive, status: 200, detail: 'HTTP 200', elapsedMs: 1, ...(this.version === undefined ? {} : { version: this.version }) }
      : { alive, detail: 'connect ECONNREFUSED (scripted)', elapsedMs: 1 };
    return Promise.resolve(result);
  }
}

const TIMINGS: AnnouncerTimings = { intervalMs: 150, unhealthyAfter: 2, backoff: { initialMs: 50, maxMs: 150 }, stopTimeoutMs: 1_000 };

interface RunningAnnouncer {
  registry: ScriptedRegistry;
  logs: LogEntry[];
  key: string;
  stop(): Promise<void>;
  /** Settles when run() returns. */
  done: Promise<void>;
}

describe('the announcer loop with a real etcd @e2e', function () {
  this.timeout(30_000);
  after(cleanupTestbed);

  let etcd: Etcd;
  let reader: EtcdReader;
  let client: Etcd3;
  let count = 0;
  const running: RunningAnnouncer[] = [];

  before(async () => {
    etcd = await startEtcd();
    reader = new EtcdReader(etcd);
    client = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 1_000 });
  });
  after(() => {
    reader?.close();
    client?.close();
  });
  afterEach(async () => {
    if (!etcd.isRunning()) await etcd.start();
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });

  /** Starts the loop at once: set the registry's first answers up in `registry` beforehand. */
  function startAnnouncer(ttlSeconds: number, registry = new ScriptedRegistry(), timings: AnnouncerTimings = TIMINGS): RunningAnnouncer {
    count += 1;
    const key = `/announcer-test/${count}`;
    const logs: LogEntry[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.startsWith('{')) logs.push(JSON.parse(line) as LogEntry);
        callback();
      },
    });
    const controller = new AbortController();
    const announcer = new Announcer({
      leasedKey: new LeasedKey({ client, key, ttlSeconds, requestTimeoutMs: 500 }),
      prober: registry,
      buildRecord: (probe, startedAt) =>
        buildRegistryRecord({ id: `r${count}`, advertise: { host: '127.0.0.1', port: 5000 }, scheme: 'http', labels: {} }, { hostname: 'test' }, probe.version ?? '0.0.0-test', startedAt),
      log: createLogger({ level: 'debug', destination }),
      timings,
    });
    const done = announcer.run(controller.signal);
    const handle: RunningAnnouncer = {
      registry,
      logs,
      key,
      done,
      stop: async () => {
        controller.abort();
        await done;
      },
    };
    running.push(handle);
    return handle;
  }

  const messages = (run: RunningAnnouncer): string[] => run.logs.map((e) => e.msg);

  it('never announces before the first good probe', async () => {
    const run = startAnnouncer(2, Object.assign(new ScriptedRegistry(), { alive: false }));
    await waitUntil('three probes', () => run.registry.probes >= 3, 5_000);
    expect(await reader.read(run.key)).to.equal(undefined);
    expect(messages(run).filter((m) => m === 'registry not answering')).to.have.length(1);
    expect(messages(run)).to.not.include('announced');

    run.registry.alive = true;
    await reader.waitForKey(run.key, 2_000);
  });

  it('rides out one failed probe and withdraws after two in a row (--unhealthy-after 2)', async () => {
    const run = startAnnouncer(2);
    const first = await reader.waitForKey(run.key, 2_000);

    run.registry.next = [false];
    const probes = run.registry.probes;
    await waitUntil('three more probes', () => run.registry.probes >= probes + 3, 5_000);
    expect((await reader.read(run.key))?.lease, 'one failure keeps the announcement').to.equal(first.lease);
    expect(messages(run)).to.include('registry probe failed').and.not.include('withdrawn');

    run.registry.alive = false;
    await reader.waitForNoKey(run.key, 2_000);
    await waitUntil('the "withdrawn" line', () => messages(run).includes('withdrawn'), 1_000);
    expect(await reader.leaseTtl(first.lease)).to.equal(-1);
  });

  it('announces a withdrawn registry again only after --healthy-after good probes in a row: one that keeps crashing stays out', async () => {
    const run = startAnnouncer(2, new ScriptedRegistry(), { ...TIMINGS, healthyAfter: 3 });
    await reader.waitForKey(run.key, 2_000);
    run.registry.alive = false;
    await reader.waitForNoKey(run.key, 2_000);

    // Up, down, up, up, down...: never three good probes in a row.
    run.registry.next = [true, false, true, true, false, true, false, true, true, false];
    await waitUntil('the scripted probes', () => run.registry.next.length === 0, 5_000);
    expect(await reader.read(run.key), 'still withdrawn').to.equal(undefined);
    expect(messages(run).filter((m) => m === 'announced')).to.have.length(1);

    run.registry.alive = true;
    const probes = run.registry.probes;
    await reader.waitForKey(run.key, 2_000);
    expect(run.registry.probes - probes).to.be.at.least(3);
  });

  it('updates the record under the same lease when the registry reports a new version', async () => {
    const run = startAnnouncer(2, Object.assign(new ScriptedRegistry(), { version: '1.0.0' }));
    const first = await reader.waitForKey(run.key, 2_000);
    expect(first.record.version).to.equal('1.0.0');

    run.registry.version = '1.1.0';
    const updated = await reader.waitForKey(run.key, 2_000, (found) => found.record.version === '1.1.0');
    expect(updated.lease).to.equal(first.lease);
    expect(updated.record.startedAt).to.equal(first.record.startedAt);
    expect(messages(run)).to.not.include('key restored');
  });

  it('revokes the lease of a registry that failed while etcd was away as soon as etcd is back, not after the TTL', async () => {
    const run = startAnnouncer(20);
    await reader.waitForKey(run.key, 2_000);

    await etcd.stop();
    run.registry.alive = false;
    await waitUntil('the failed revoke', () => messages(run).includes('etcd unreachable') && messages(run).includes('registry not answering'), 5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await etcd.start();

    const goneAfter = await reader.waitForNoKey(run.key, 5_000);
    expect(goneAfter).to.be.below(3_000);
    await waitUntil('the "withdrawn" line', () => messages(run).includes('withdrawn'), 1_000);
    const logged = messages(run);
    expect(logged.filter((m) => m === 'etcd unreachable')).to.have.length(1);
    expect(logged.indexOf('withdrawn')).to.be.greaterThan(logged.indexOf('etcd reachable again'));
  });

  it('stops within its stop timeout when etcd is away, leaving the key to its TTL', async () => {
    const run = startAnnouncer(2);
    await reader.waitForKey(run.key, 2_000);

    await etcd.stop();
    const started = Date.now();
    await run.stop();
    expect(Date.now() - started).to.be.below(TIMINGS.stopTimeoutMs + 1_000);
    expect(messages(run)).to.include('could not revoke the lease before stopping; the key expires with its TTL');

    await etcd.start();
    // etcd renews every lease's TTL when it restarts; the key still goes within one TTL after that.
    await reader.waitForNoKey(run.key, 4_000);
  });
});
