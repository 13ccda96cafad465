// When the agent changes a host, against a real etcd: a registry that is gone is let go after the hold, but the
// host's state stands for the dwell before it moves again (a registry that flaps is not taken back each time), the first decision is reported once,
// and a wiped etcd (its revision back to 1) does not leave the watch waiting for revisions that never come.
import { expect } from 'chai';
import { rm } from 'node:fs/promises';
import { serializeRegistryRecord } from '@private-registry/core';
import { PREFIX, record, useAgentTestbed, waitFor, type AgentUnderTestOptions, type RunningAgent } from './agent-under-test.js';

describe('when the host agent changes a host @e2e', function () {
  this.timeout(60_000);
  const testbed = useAgentTestbed();
  const startAgent = (options: Partial<AgentUnderTestOptions> = {}): Promise<RunningAgent> => testbed.start(options);

  const announce = (port: number) => testbed.client.put(`${PREFIX}10.1.0.1:${port}`).value(serializeRegistryRecord(record(port)));
  const withdraw = (port: number) => testbed.client.delete().key(`${PREFIX}10.1.0.1:${port}`);

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
    // The "wrote" line follows the file by a moment: wait for it, then check that nothing else was written.
    const writes = async (): Promise<number> => logLines.filter((l) => l.includes('"msg":"wrote"') && l.includes('"writer":"environment"')).length;
    await waitFor(writes, 3, 2_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await writes(), 'added, removed, added: nothing for the flaps').to.equal(3);
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
    for (let i = 0; i < 200; i++) await testbed.client.put('/unrelated/history').value(String(i));

    await testbed.etcd.stop();
    await rm(testbed.etcd.dataDir, { recursive: true, force: true });
    await testbed.etcd.start();
    await waitFor(dockerRepo, undefined, 10_000);
    await waitFor(async () => logLines.some((l) => l.includes('discovery watch restarted from the current revision')), true, 5_000);

    const announcedAt = Date.now();
    await announce(5001);
    await waitFor(dockerRepo, '10.1.0.1:5001/', 5_000);
    // Well under the 120 s resync; 2 s was too tight on a loaded CI machine (2.2 s seen).
    expect(Date.now() - announcedAt, 'an event, not the 120 s resync').to.be.below(10_000);
    expect(logLines.some((l) => l.includes("etcd's revision went back"))).to.equal(true);
  });

  it('follows etcd restored from an older snapshot: the host goes back to what the snapshot holds, and later changes arrive as events', async () => {
    const { dockerRepo, logLines } = await startAgent({ holdMs: 100, resyncMs: 120_000 });
    await announce(5000);
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    const snapshot = `${testbed.etcd.dataDir}.snapshot.db`;
    const saved = await testbed.etcd.etcdctl(['snapshot', 'save', snapshot]);
    expect(saved.exitCode, saved.stderr).to.equal(0);
    for (let i = 0; i < 200; i++) await testbed.client.put('/unrelated/history').value(String(i));
    await withdraw(5000);
    await announce(5001);
    await waitFor(dockerRepo, '10.1.0.1:5001/', 5_000);

    await testbed.etcd.stop();
    await rm(testbed.etcd.dataDir, { recursive: true, force: true });
    const restored = await testbed.etcd.etcdctl([
      'snapshot', 'restore', snapshot, '--data-dir', testbed.etcd.dataDir, '--name', 't',
      '--initial-cluster', `t=${testbed.etcd.peerUrl}`, '--initial-advertise-peer-urls', testbed.etcd.peerUrl,
    ]);
    expect(restored.exitCode, restored.stderr).to.equal(0);
    await testbed.etcd.start();
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
