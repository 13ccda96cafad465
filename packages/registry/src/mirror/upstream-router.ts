// Which upstream a repository name belongs to, and its name there. containerd says which registry it wants
// with `?ns=<host>`; dockerd and podman mirror requests carry only the path, so names under an upstream's
// prefix go to it (prefix taken off) and every other name goes to the upstream without a prefix, if any.

import { DOCKER_HUB_NAME } from '../config/config-defaults.js';
import type { UpstreamClient } from './upstream-client.js';

export interface UpstreamRoute {
  client: UpstreamClient;
  /** The repository's name upstream. */
  remoteName: string;
}

export class UpstreamRouter {
  private readonly byPrefix: UpstreamClient[];
  private readonly fallback: UpstreamClient | undefined;

  constructor(private readonly clients: readonly UpstreamClient[]) {
    // Longest prefix first, so "ghcr.io/team" wins over "ghcr.io".
    this.byPrefix = clients.filter((c) => c.config.prefix !== '').sort((a, b) => b.config.prefix.length - a.config.prefix.length);
    this.fallback = clients.find((c) => c.config.prefix === '');
  }

  get enabled(): boolean {
    return this.clients.length > 0;
  }

  route(name: string, ns: string | undefined): UpstreamRoute | undefined {
    if (ns !== undefined && ns !== '') {
      const host = ns.toLowerCase();
      // An upstream with no hosts (distribution's single `remoteurl`) stands for any registry not claimed by another.
      const client = this.clients.find((c) => c.config.hosts.includes(host)) ?? this.clients.find((c) => c.config.hosts.length === 0);
      return client === undefined ? undefined : { client, remoteName: upstreamName(client, name) };
    }
    for (const client of this.byPrefix) {
      if (name.startsWith(`${client.config.prefix}/`)) return { client, remoteName: upstreamName(client, name.slice(client.config.prefix.length + 1)) };
    }
    return this.fallback === undefined ? undefined : { client: this.fallback, remoteName: upstreamName(this.fallback, name) };
  }
}

/** Docker Hub keeps official images under `library/`: `busybox` there is `library/busybox`. */
function upstreamName(client: UpstreamClient, name: string): string {
  return client.config.name === DOCKER_HUB_NAME && !name.includes('/') ? `library/${name}` : name;
}
