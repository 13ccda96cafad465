// A registry that dies and comes back every 2 s, watched for 40 s by two sidekick + agent pairs side by side:
// one with the damping turned off (--healthy-after 1, --dwell 0: how both behaved before), one with the
// defaults. Counted from the agents' logs: moves (the host's registry changed) and dockerd reloads (daemon.json
// rewritten; with --docker-reload signal each is a SIGHUP).
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import { cleanupTestbed, freePort, startEtcd, type Etcd } from '@private-registry/testbed';
import { startHostAgent, startSidekick, waitForValue, type HostAgentProcess } from './helpers/discovery-processes.js';

const FLAP_MS = 2_000;
const RUN_MS = 40_000;

/** A /v2/ that answers for FLAP_MS, is gone (port closed) for FLAP_MS, and so on. */
class FlappingRegistry {
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly port: number) {}

  async up(): Promise<void> {
    const server = createServer((_req, res) => res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}'));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  flap(): void {
    this.timer = setInterval(() => void (this.server === undefined ? this.up() : this.down()), FLAP_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.down();
  }
}

interface Counts {
  moves: number;
  reloads: number;
}

async function countsSince(agent: HostAgentProcess, offset: number): Promise<Counts> {
  const lines = (await agent.process.readLog()).slice(offset).split('\n').filter((l) => l.startsWith('{'));
  const entries = lines.map((l) => JSON.parse(l) as { msg: string; writer?: string });
  return {
    moves: entries.filter((e) => e.msg === 'registry chosen' || e.msg === 'no registry for this host').length,
    reloads: entries.filter((e) => e.msg === 'wrote' && e.writer === 'docker').length,
  };
}

describe('a flapping registry, with and without damping @e2e', function () {
  this.timeout(120_000);
  let etcd: Etcd;
  let registry: FlappingRegistry;

  before(async () => {
    etcd = await startEtcd();
    registry = new FlappingRegistry(await freePort());
    await registry.up();
  });
  after(async () => {
    await registry.stop();
    await cleanupTestbed();
  });

  it('moves hosts and reloads dockerd at most once in 40 s with the defaults, where the undamped pair churns', async () => {
    const advertise = `127.0.0.1:${registry.port}`;
    const pairs = { undamped: { prefix: '/flap/undamped/', sidekickArgs: ['--healthy-after', '1'], agentArgs: ['--dwell', '0'] }, damped: { prefix: '/flap/damped/', sidekickArgs: [], agentArgs: [] } };
    const agents: Record<string, HostAgentProcess> = {};
    for (const [name, pair] of Object.entries(pairs)) {
      await startSidekick({ etcd, registryUrl: `http://${advertise}`, advertise, ttlSeconds: 10, extraArgs: ['--prefix', pair.prefix, ...pair.sidekickArgs] });
      const agent = await startHostAgent({ etcd, index: name === 'damped' ? 1 : 0, extraArgs: ['--docker-reload', 'none', '--prefix', pair.prefix, ...pair.agentArgs] });
      await waitForValue(() => agent.dockerRepo(), `${advertise}/`, 15_000, `${name}: the registry chosen before the flapping`);
      // The agent logs the move after all its writers: count from after that line, not from the file's change.
      await agent.process.waitForLog(/"msg":"registry chosen"/, { timeoutMs: 10_000 });
      agents[name] = agent;
    }
    const offsets = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([name, agent]) => [name, (await agent.process.readLog()).length] as const)));

    registry.flap();
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    const counts: Record<string, Counts> = {};
    for (const [name, agent] of Object.entries(agents)) counts[name] = await countsSince(agent, offsets[name] ?? 0);
    console.log(`      (${RUN_MS / 1000} s of a registry up ${FLAP_MS / 1000} s / down ${FLAP_MS / 1000} s: undamped ${JSON.stringify(counts['undamped'])}, damped ${JSON.stringify(counts['damped'])})`);

    const damped = counts['damped'] as Counts;
    const undamped = counts['undamped'] as Counts;
    expect(damped.moves, 'damped moves').to.be.at.most(1);
    expect(damped.reloads, 'damped reloads').to.be.at.most(1);
    expect(undamped.moves, 'the undamped pair shows the churn being damped').to.be.at.least(2);
    expect(undamped.reloads).to.be.greaterThan(damped.reloads);
  });
});
