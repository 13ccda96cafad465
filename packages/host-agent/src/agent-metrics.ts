// The agent's counters (moves, dockerd reloads, reloads that failed or did not take), kept as plain numbers;
// `--metrics-addr` serves them in Prometheus text format. prom-client is loaded only then: the agent runs on
// every host and most hosts are not scraped.

import { createServer, type Server } from 'node:http';
import type { Logger } from '@private-registry/core';

export type AgentCounter = 'moves' | 'dockerReloads' | 'dockerReloadFailures';

const HELP: Record<AgentCounter, [name: string, help: string]> = {
  moves: ['registry_host_agent_moves_total', "Changes of this host's registry after its first decision."],
  dockerReloads: ['registry_host_agent_docker_reloads_total', 'dockerd reloads asked for (SIGHUP or systemctl).'],
  dockerReloadFailures: ['registry_host_agent_docker_reload_failures_total', 'dockerd reloads that failed or did not take (the live mirrors differ from daemon.json).'],
};

export class AgentMetrics {
  private readonly counts: Record<AgentCounter, number> = { moves: 0, dockerReloads: 0, dockerReloadFailures: 0 };

  count(counter: AgentCounter): void {
    this.counts[counter] += 1;
  }

  value(counter: AgentCounter): number {
    return this.counts[counter];
  }

  /** Serves GET /metrics on `host:port` until the returned server is closed. */
  async serve(address: string, log: Logger): Promise<Server> {
    const { Registry, Counter } = await import('prom-client');
    const registry = new Registry();
    for (const counter of Object.keys(HELP) as AgentCounter[]) {
      const [name, help] = HELP[counter];
      const counts = this.counts;
      // Collected on scrape from our plain numbers: nothing to keep in step.
      new Counter({ name, help, registers: [registry], collect() {
        this.reset();
        this.inc(counts[counter]);
      } });
    }
    const { host, port } = splitAddress(address);
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    log.info({ address }, 'serving metrics on /metrics');
    return server;
  }
}

/** `127.0.0.1:9333`, `[::1]:9333` → host and port. */
export function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[2]);
  if (match === null || match[1] === '' || !(port >= 1 && port <= 65535)) throw new Error(`"${address}" is not HOST:PORT`);
  return { host: match[1] as string, port };
}
