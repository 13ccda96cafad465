// When the agent changes a host, against a real etcd: a registry that is gone is let go after the hold, but the
// host's state stands for the dwell before it moves again (a registry that flaps is not taken back each time), the first decision is reported once,
// and a wiped etcd (its revision back to 1) does not leave the watch waiting for revisions that never come.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { serializeRegistryRecord } from '@private-registry/core';
import { createEtcdClient } from '@private-registry/core/etcd';
import { cleanupTestbed, startEtcd, type Etcd } from '@private-registry/testbed';
import type { Etcd3 } from 'etcd3';
import type { HostAgent } from '../src/host-agent.js';
import { PREFIX, record, startAgentUnderTest, waitFor, type AgentUnderTestOptions, type RunningAgent } from './agent-under-test.js';

describe('when the host agent changes a host @e2e', function () {
  this.timeout(60_000);
  let etcd: Etcd;
  let client: Etcd3;
  const running: HostAgent[] = [];

  before(async () => {
    etcd = await startEtcd();
    client = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 1_000 });
  });
  afterEach(async () => {
    while (running.length > 0) await running.pop()!.stop(false);
    await client.delete().prefix(PREFIX);
  });
  after(async () => {
    client.close();
    await cleanupTestbed();
  });

  async function startAgent(options: Partial<AgentUnderTestOptions> = {}): Promise<RunningAgent> {
    const started = await startAgentUnderTest({ endpoint: etcd.endpoint, ...options });
    running.push(started.agent);
    return started;
  }

  const announce = (port: number) => client.put(`${PREFIX}10.1.0.1:${port}`).value(serializeRegistryRecord(record(port)));
  const withdraw = (port: number) => client.delete().key(`${PREFIX}10.1.0.1:${port}`);

  it('lets go of a gone registry after the hold, and takes a flapping one back only once the dwell has passed', async () => {
    const { dockerRepo, logLines } = await startAgent({ holdMs: 100, dwellMs: 2_000 });
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    await withdraw(5000);
    await waitFor(dockerRepo, undefined, 2_000);
    const droppedAt = Date.now();
    for (let i = 0; i < 3; i++) {
      await announce(5000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await withdraw(5000);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await dockerRepo(), 'not taken back while it flaps').to.equal(undefined);
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    expect(Date.now() - droppedAt).to.be.at.least(1_900);
    const writes = logLines.filter((l) => l.includes('"msg":"wrote"') && l.includes('"writer":"environment"'));
    expect(writes, 'added, removed, added: nothing for the flaps').to.have.length(3);
  });

  it('applies the first registry at once after a first decision of none, and reports each decision and move', async () => {
    const decided: (string | null)[] = [];
    const moves: [string | null, string | null][] = [];
    const { dockerRepo } = await startAgent({ dwellMs: 5_000, events: { decided: (id) => decided.push(id), moved: (from, to) => moves.push([from, to]) } });
    await waitFor(async () => decided, [null], 5_000);
    const started = Date.now();
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    expect(Date.now() - started, 'no dwell after a first "none"').to.be.below(1_000);
    await waitFor(async () => moves, [[null, '10.1.0.1:5000']], 1_000);
    expect(decided).to.deep.equal([null]);
  });

  it('restarts its watch when etcd was wiped (revision back to 1): a registry announced afterwards arrives as an event', async () => {
    const { dockerRepo, logLines } = await startAgent({ holdMs: 100, resyncMs: 120_000 });
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    // A long history, so that the wiped cluster's revisions stay below the watch's for a while.
    for (let i = 0; i < 200; i++) await client.put('/unrelated/history').value(String(i));

    await etcd.stop();
    await rm(etcd.dataDir, { recursive: true, force: true });
    await etcd.start();
    await waitFor(dockerRepo, undefined, 10_000);
    await waitFor(async () => logLines.some((l) => l.includes('discovery watch restarted from the current revision')), true, 5_000);

    const announcedAt = Date.now();
    await announce(5001);
    await waitFor(dockerRepo, '10.1.0.1:5001/', 5_000);
    expect(Date.now() - announcedAt, 'an event, not the 120 s resync').to.be.below(2_000);
    expect(logLines.some((l) => l.includes("etcd's revision went back"))).to.equal(true);
  });

  it('follows etcd restored from an older snapshot: the host goes back to what the snapshot holds, and later changes arrive as events', async () => {
    const { dockerRepo, logLines } = await startAgent({ holdMs: 100, resyncMs: 120_000 });
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    const snapshot = `${etcd.dataDir}.snapshot.db`;
    const saved = await etcd.etcdctl(['snapshot', 'save', snapshot]);
    expect(saved.exitCode, saved.stderr).to.equal(0);
    for (let i = 0; i < 200; i++) await client.put('/unrelated/history').value(String(i));
    await withdraw(5000);
    await announce(5001);
    await waitFor(dockerRepo, '10.1.0.1:5001/', 5_000);

    await etcd.stop();
    await rm(etcd.dataDir, { recursive: true, force: true });
    const restored = await etcd.etcdctl([
      'snapshot', 'restore', snapshot, '--data-dir', etcd.dataDir, '--name', 't',
      '--initial-cluster', `t=${etcd.peerUrl}`, '--initial-advertise-peer-urls', etcd.peerUrl,
    ]);
    expect(restored.exitCode, restored.stderr).to.equal(0);
    await etcd.start();
    await waitFor(dockerRepo, '10.1.0.1:5000/', 10_000);
    await waitFor(async () => logLines.some((l) => l.includes('discovery watch restarted from the current revision')), true, 5_000);

    const changedAt = Date.now();
    await withdraw(5000);
    await announce(5002);
    await waitFor(dockerRepo, '10.1.0.1:5002/', 5_000);
    expect(Date.now() - changedAt, 'an event, not the 120 s resync').to.be.below(2_000);
    await rm(snapshot, { force: true });
  });
});
