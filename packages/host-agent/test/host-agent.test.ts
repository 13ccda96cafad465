// The agent's loop against a real etcd, in-process so timings are short and observable: event-driven updates,
// the flap hold, repairs by the periodic read, a compacted watch, etcd going away, and cleanup on stop.
import { expect } from 'chai';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { serializeRegistryRecord } from '@private-registry/core';
import { startTcpProxy } from '@private-registry/testbed';
import { PREFIX, record, useAgentTestbed, waitFor, type RunningAgent } from './agent-under-test.js';

describe('the host agent loop against a real etcd @e2e', function () {
  this.timeout(60_000);
  const testbed = useAgentTestbed();
  const startAgent = (options: { holdMs?: number; resyncMs?: number; endpoint?: string } = {}): Promise<RunningAgent> => testbed.start(options);

  it('writes DOCKER_REPO within a fraction of a second of the announcement (a watch, not a poll)', async () => {
    const { dockerRepo } = await startAgent({ resyncMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));

    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    const tookMs = await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);

    expect(tookMs).to.be.below(1_000);
  });

  it('rides out a key that vanishes and comes back within the hold: the files are not touched', async () => {
    const { root, dockerRepo } = await startAgent({ holdMs: 800 });
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    const before = await stat(root.path('/etc/environment'));

    await testbed.client.delete().key(`${PREFIX}10.1.0.1:5000`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    const after = await stat(root.path('/etc/environment'));
    expect(after.mtimeMs).to.equal(before.mtimeMs);
    expect(after.ino).to.equal(before.ino);
  });

  it('removes a registry whose key stays gone for the hold', async () => {
    const { dockerRepo } = await startAgent({ holdMs: 300 });
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);

    await testbed.client.delete().key(`${PREFIX}10.1.0.1:5000`);
    const tookMs = await waitFor(dockerRepo, undefined, 5_000);

    expect(tookMs).to.be.within(250, 1_500);
  });

  it('repairs a file someone else edited, at the next periodic read', async () => {
    const { root, dockerRepo } = await startAgent({ resyncMs: 1_000 });
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    // Let the evaluations the put caused finish: what follows can only be repaired by the periodic read.
    await new Promise((resolve) => setTimeout(resolve, 300));

    await writeFile(root.path('/etc/environment'), 'LANG=C\n');
    const tookMs = await waitFor(dockerRepo, '10.1.0.1:5000/', 3_000);

    expect(await readFile(root.path('/etc/environment'), 'utf8')).to.equal('LANG=C\nDOCKER_REPO=10.1.0.1:5000/\n');
    expect(tookMs, 'no watch event can have caused it').to.be.above(50);
  });

  it('skips a malformed record with one warning and uses the valid one', async () => {
    const { dockerRepo, logLines } = await startAgent({ resyncMs: 1_000 });
    await testbed.client.put(`${PREFIX}broken`).value('{not json');
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 2_200));

    expect(logLines.filter((l) => l.includes('ignoring a discovery key') && l.includes(`${PREFIX}broken`))).to.have.length(1);
  });

  it('keeps its state while etcd is away, and follows changes made while it was', async () => {
    const { dockerRepo, logLines } = await startAgent({ holdMs: 200 });
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);

    await testbed.etcd.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(await dockerRepo()).to.equal('10.1.0.1:5000/');
    await testbed.etcd.start();
    // Changed behind the agent's back (well, the agent could not see it): the watch catches up on reconnect.
    await testbed.client.put(`${PREFIX}10.1.0.1:5001`).value(serializeRegistryRecord(record(5001)));
    await testbed.client.delete().key(`${PREFIX}10.1.0.1:5000`);

    await waitFor(dockerRepo, '10.1.0.1:5001/', 8_000);
    expect(logLines.filter((l) => l.includes('etcd unreachable'))).to.have.length(1);
    expect(logLines.some((l) => l.includes('etcd reachable again'))).to.equal(true);
  });

  it('creates its watch again when etcd compacted away the revision it was cut off at', async () => {
    const proxy = await startTcpProxy(testbed.etcd.clientPort);
    const { dockerRepo, logLines } = await startAgent({ resyncMs: 60_000, endpoint: `http://${proxy.address}` });
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(dockerRepo, '10.1.0.1:5000/', 5_000);

    // A partition: etcd moves on and compacts its history past the agent's watch revision.
    proxy.cut();
    await testbed.client.put(`${PREFIX}10.1.0.1:5002`).value(serializeRegistryRecord(record(5002)));
    await testbed.client.delete().key(`${PREFIX}10.1.0.1:5000`);
    for (let i = 0; i < 10; i++) await testbed.client.put('/unrelated/key').value(String(i));
    const revision = (await testbed.client.get('/unrelated/key').exec()).header.revision;
    const compacted = await testbed.etcd.etcdctl(['compact', String(revision)]);
    expect(compacted.exitCode, compacted.stderr).to.equal(0);
    proxy.restore();

    await waitFor(dockerRepo, '10.1.0.1:5002/', 8_000);
    await waitFor(async () => logLines.some((l) => l.includes('discovery watch ended; creating it again')), true, 5_000);
    // The new watch works: a later change arrives as an event.
    await testbed.client.put(`${PREFIX}10.1.0.1:5003`).value(serializeRegistryRecord(record(5003)));
    await testbed.client.delete().key(`${PREFIX}10.1.0.1:5002`);
    await waitFor(dockerRepo, '10.1.0.1:5003/', 3_000);
  });

  it('on stop with cleanup takes back what it wrote; without, leaves it', async () => {
    const kept = await startAgent();
    const cleaned = await startAgent();
    await testbed.client.put(`${PREFIX}10.1.0.1:5000`).value(serializeRegistryRecord(record(5000)));
    await waitFor(kept.dockerRepo, '10.1.0.1:5000/', 5_000);
    await waitFor(cleaned.dockerRepo, '10.1.0.1:5000/', 5_000);

    testbed.release(kept, cleaned);
    await kept.agent.stop(false);
    await cleaned.agent.stop(true);

    expect(await kept.dockerRepo()).to.equal('10.1.0.1:5000/');
    expect(await cleaned.dockerRepo()).to.equal(undefined);
    // The host had no daemon.json: it has none again (after the [] step that a reload would need).
    expect(await stat(cleaned.root.path('/etc/docker/daemon.json')).then(() => 'present', () => 'absent')).to.equal('absent');
  });
});
