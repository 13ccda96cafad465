// The registries the sidekicks announce in etcd (ui.discovery), for the status page: read when the page is
// opened (one range read under the prefix), with a short deadline so a dead etcd only slows the page by that.
import { idFromKey, parseRegistryRecord } from '@private-registry/core';
import type { UiDiscoveryConfig } from '../config/registry-config.js';
import { connectEtcd, type EtcdClient } from '../etcd/etcd-connect.js';

const READ_DEADLINE_MS = 2_000;

export interface AnnouncedRegistry {
  id: string;
  url: string;
  hostname?: string;
  version?: string;
}

export class AnnouncedRegistries {
  private client: EtcdClient | undefined;

  constructor(private readonly config: UiDiscoveryConfig) {}

  /** What is announced now, or why etcd could not say. */
  async list(): Promise<{ registries: AnnouncedRegistry[]; error?: string }> {
    this.client ??= connectEtcd(this.config);
    try {
      const values = await this.client.getAll().prefix(this.config.prefix).options({ deadline: new Date(Date.now() + READ_DEADLINE_MS) }).strings();
      const registries: AnnouncedRegistry[] = [];
      for (const [key, text] of Object.entries(values)) {
        const id = idFromKey(this.config.prefix, key);
        if (id === undefined) continue;
        try {
          const record = parseRegistryRecord(text);
          registries.push({ id: record.id, url: record.url, hostname: record.hostname, version: record.version });
        } catch {
          registries.push({ id, url: '(unreadable record)' });
        }
      }
      return { registries: registries.sort((a, b) => (a.id < b.id ? -1 : 1)) };
    } catch (err) {
      return { registries: [], error: `${this.config.endpoints.join(', ')}: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}` };
    }
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
