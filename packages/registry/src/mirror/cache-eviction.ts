// Keeps the mirror's cache within its limits: a maximum idle age (since the last pull) and a size cap. Works on
// manifest revisions of mirrored repositories, least recently pulled first: an evicted revision loses its tags
// and revision link, and a blob goes only when no remaining manifest anywhere (pushed or mirrored) references
// it and no pushed repository links it (a push under way). Pushed content is never touched.

import type { Logger } from '@private-registry/core';
import { tryParseDigest, type Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { deleteIfPresent } from '../services/link-files.js';
import type { RegistryServices } from '../services/registry-services.js';
import type { PullLedger } from './pull-ledger.js';
import type { RepositoryOrigins } from './repository-origins.js';

export interface EvictionLimits {
  maxBytes?: number;
  maxIdleMs?: number;
}

export interface EvictionReport {
  revisionsRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
  /** Bytes the cache holds after the run (blobs only mirrored revisions reference, plus their manifests). */
  cachedBytes: number;
}

interface Revision {
  name: string;
  digest: Digest;
  mirrored: boolean;
  lastPulled: number;
  manifestBytes: number;
  blobs: string[];
}

export interface CacheEvictionOptions {
  driver: StorageDriver;
  services: RegistryServices;
  origins: RepositoryOrigins;
  ledger: PullLedger;
  limits: EvictionLimits;
  log: Logger;
  now?: () => number;
}

export class CacheEviction {
  private readonly now: () => number;

  constructor(private readonly options: CacheEvictionOptions) {
    this.now = options.now ?? Date.now;
  }

  async run(): Promise<EvictionReport> {
    const { services, limits } = this.options;
    const revisions: Revision[] = [];
    const pinned = new Set<string>();
    for (const name of await services.catalog.repositories()) {
      const mirrored = !(await this.options.origins.isPushed(name));
      for (const revision of await this.revisionsOf(name, mirrored)) revisions.push(revision);
      if (!mirrored) for (const digest of await this.linkedLayers(name)) pinned.add(digest);
    }
    for (const revision of revisions) if (!revision.mirrored) for (const blob of revision.blobs) pinned.add(blob);

    const references = new Map<string, number>();
    for (const revision of revisions) for (const blob of new Set(revision.blobs)) references.set(blob, (references.get(blob) ?? 0) + 1);
    const sizes = new Map<string, number>();
    const sizeOf = async (blob: string): Promise<number> => {
      let size = sizes.get(blob);
      if (size === undefined) {
        const digest = tryParseDigest(blob);
        size = digest === null ? 0 : ((await services.blobs.statGlobal(digest))?.size ?? 0);
        sizes.set(blob, size);
      }
      return size;
    };

    const candidates = revisions.filter((r) => r.mirrored).sort((a, b) => a.lastPulled - b.lastPulled);
    let cachedBytes = 0;
    for (const revision of candidates) cachedBytes += revision.manifestBytes;
    for (const [blob] of references) if (!pinned.has(blob) && candidates.some((r) => r.blobs.includes(blob))) cachedBytes += await sizeOf(blob);

    const evicted: Revision[] = [];
    const freedBlobs: string[] = [];
    const evict = async (revision: Revision): Promise<void> => {
      evicted.push(revision);
      cachedBytes -= revision.manifestBytes;
      for (const blob of new Set(revision.blobs)) {
        const left = (references.get(blob) ?? 1) - 1;
        references.set(blob, left);
        if (left === 0 && !pinned.has(blob)) {
          freedBlobs.push(blob);
          cachedBytes -= await sizeOf(blob);
        }
      }
    };
    for (const revision of candidates) {
      const idle = limits.maxIdleMs !== undefined && this.now() - revision.lastPulled > limits.maxIdleMs;
      const over = limits.maxBytes !== undefined && cachedBytes > limits.maxBytes;
      if (!idle && !over) continue;
      await evict(revision);
    }

    let bytesFreed = 0;
    for (const revision of evicted) {
      bytesFreed += revision.manifestBytes;
      await this.removeRevision(revision);
    }
    for (const blob of freedBlobs) {
      bytesFreed += await sizeOf(blob);
      await this.removeBlob(blob, candidates.map((r) => r.name));
    }
    const report = { revisionsRemoved: evicted.length, blobsRemoved: freedBlobs.length, bytesFreed, cachedBytes: Math.max(0, cachedBytes) };
    if (evicted.length > 0) this.options.log.info(report, 'mirror cache evicted least recently pulled content');
    return report;
  }

  private async revisionsOf(name: string, mirrored: boolean): Promise<Revision[]> {
    const { driver, services, ledger } = this.options;
    const root = pathFor({ kind: 'manifestRevisionsRoot', name });
    const revisions: Revision[] = [];
    for (const algorithmDir of await listOrEmpty(driver, root)) {
      for (const hexDir of await listOrEmpty(driver, algorithmDir)) {
        const digest = tryParseDigest(`${algorithmDir.slice(algorithmDir.lastIndexOf('/') + 1)}:${hexDir.slice(hexDir.lastIndexOf('/') + 1)}`);
        if (digest === null) continue;
        const manifest = await services.manifests.load(digest);
        if (manifest === null) continue;
        let cachedAt = this.now();
        try {
          cachedAt = (await driver.stat(pathFor({ kind: 'manifestRevisionLink', name, digest }))).modTime.getTime();
        } catch (err) {
          if (!isPathNotFound(err)) throw err;
        }
        revisions.push({
          name,
          digest,
          mirrored,
          lastPulled: mirrored ? await ledger.lastPulled(name, digest, cachedAt) : cachedAt,
          manifestBytes: manifest.content.length,
          blobs: manifest.parsed.blobs.map((b) => b.digest.value),
        });
      }
    }
    return revisions;
  }

  private async linkedLayers(name: string): Promise<string[]> {
    const { driver } = this.options;
    const found: string[] = [];
    for (const algorithmDir of await listOrEmpty(driver, pathFor({ kind: 'layersRoot', name }))) {
      for (const hexDir of await listOrEmpty(driver, algorithmDir)) {
        found.push(`${algorithmDir.slice(algorithmDir.lastIndexOf('/') + 1)}:${hexDir.slice(hexDir.lastIndexOf('/') + 1)}`);
      }
    }
    return found;
  }

  private async removeRevision(revision: Revision): Promise<void> {
    const { driver, services, ledger } = this.options;
    for (const tag of await services.tags.tagsOf(revision.name, revision.digest)) await services.tags.untag(revision.name, tag).catch(() => undefined);
    await deleteIfPresent(driver, pathFor({ kind: 'manifestRevision', name: revision.name, digest: revision.digest }));
    await deleteIfPresent(driver, pathFor({ kind: 'mirrorAccess', name: revision.name, digest: revision.digest }));
    ledger.forget(revision.name, revision.digest);
  }

  private async removeBlob(blob: string, mirroredNames: string[]): Promise<void> {
    const digest = tryParseDigest(blob);
    if (digest === null) return;
    const { driver } = this.options;
    for (const name of new Set(mirroredNames)) await deleteIfPresent(driver, pathFor({ kind: 'layerDir', name, digest }));
    await deleteIfPresent(driver, pathFor({ kind: 'blobDir', digest }));
  }
}

async function listOrEmpty(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (err) {
    if (isPathNotFound(err)) return [];
    throw err;
  }
}
