// An in-process registry on a temp directory plus a collector over the same store, for collector tests that
// push through the real HTTP API and look at what the store keeps.
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '@private-registry/core';
import { FilesystemDriver } from '../../src/storage/filesystem-driver.js';
import { RegistryServices } from '../../src/services/registry-services.js';
import { GarbageCollector, type GcDecision, type GcRunOptions, type GcSummary } from '../../src/gc/garbage-collector.js';
import { pathFor } from '../../src/storage/path-spec.js';
import { parseDigest } from '../../src/oci/digest.js';
import type { RetentionPolicy } from '../../src/config/registry-config.js';
import { startTestRegistry, type TestRegistry } from '../helpers/test-registry.js';
import { RegistryApiClient } from '../api/api-client.js';

export interface GcFixture {
  registry: TestRegistry;
  client: RegistryApiClient;
  driver: FilesystemDriver;
  /** Runs a collection as if `aheadMs` had passed since everything was pushed (grace period 0 by default). */
  collect(options?: Partial<GcRunOptions> & { aheadMs?: number }): Promise<{ summary: GcSummary; decisions: GcDecision[] }>;
  /** Sets when a tag was last pushed (its current link's time). */
  setPushTime(repository: string, tag: string, at: Date): Promise<void>;
  blobStored(digest: string): Promise<boolean>;
}

export function useGcFixture(): () => GcFixture {
  let fixture: GcFixture | undefined;
  beforeEach(async () => {
    const registry = await startTestRegistry({ deleteEnabled: true });
    const driver = new FilesystemDriver({ rootDirectory: registry.rootDirectory });
    const log = createLogger({ level: 'silent' });
    fixture = {
      registry,
      client: new RegistryApiClient(registry.url),
      driver,
      async collect(options = {}) {
        const decisions: GcDecision[] = [];
        const ahead = options.aheadMs ?? 5000;
        const services = new RegistryServices(driver, { deleteEnabled: true, readOnly: false, catalogMaxEntries: 1000 });
        const collector = new GarbageCollector(driver, services, log, () => Date.now() + ahead);
        const summary = await collector.run({
          dryRun: false,
          deleteUntagged: false,
          gracePeriodMs: 0,
          retention: [] as RetentionPolicy[],
          lockExpiryMs: 60_000,
          onDecision: (d) => decisions.push(d),
          ...options,
        });
        return { summary, decisions };
      },
      async setPushTime(repository, tag, at) {
        await utimes(join(registry.rootDirectory, pathFor({ kind: 'tagCurrentLink', name: repository, tag })), at, at);
      },
      async blobStored(digest) {
        try {
          await driver.stat(pathFor({ kind: 'blobData', digest: parseDigest(digest) }));
          return true;
        } catch {
          return false;
        }
      },
    };
  });
  afterEach(async () => {
    await fixture?.registry.close();
    fixture = undefined;
  });
  return () => {
    if (fixture === undefined) throw new Error('fixture used outside a test');
    return fixture;
  };
}

/** A retention policy with every rule unset (keeps everything) and the given overrides. */
export function policy(repositories: string[], rules: Partial<RetentionPolicy> = {}): RetentionPolicy {
  return {
    index: 0,
    repositories,
    keepTags: [],
    keepLatest: undefined,
    deleteOlderThanMs: undefined,
    keepPushedWithinMs: undefined,
    keepPulledWithinMs: undefined,
    untaggedAfterMs: rules.keepLatest !== undefined || rules.deleteOlderThanMs !== undefined ? 0 : undefined,
    keepReferrers: true,
    ...rules,
  };
}
