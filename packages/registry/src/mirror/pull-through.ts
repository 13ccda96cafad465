// Mirror mode's read path: a name that belongs to an upstream (and was never pushed here) is served from the
// local cache, filled from the upstream on a miss. Blobs and manifests by digest are cached for good; a tag is
// checked upstream with one HEAD at most once per `tagRevalidateMs`. When the upstream is down, slow or
// refusing, cached content is served (stale tags too) and only what was never cached fails.

import type { Logger } from '@private-registry/core';
import { digestOf, tryParseDigest, type Digest } from '../oci/digest.js';
import { MAX_MANIFEST_BYTES } from '../oci/manifest.js';
import { MANIFEST_MEDIA_TYPES } from '../oci/media-types.js';
import { RegistryError } from '../oci/registry-errors.js';
import { blobUnknown, type BlobDescriptor } from '../services/blob-store.js';
import { nameUnknown } from '../services/repository-check.js';
import { manifestUnknown } from '../services/tag-store.js';
import type { ManifestContent, Reference } from '../services/manifest-store.js';
import type { RegistryServices } from '../services/registry-services.js';
import type { BlobPrefetch } from './blob-prefetch.js';
import type { SpoolFile } from './spool-file.js';
import type { MirrorBlobs, Transfer } from './mirror-blobs.js';
import type { MirrorStats } from './mirror-stats.js';
import type { PullLedger } from './pull-ledger.js';
import type { RepositoryOrigins } from './repository-origins.js';
import { SingleFlight } from './single-flight.js';
import { UpstreamError } from './upstream-error.js';
import { readSmallBody } from './upstream-http.js';
import type { UpstreamRoute, UpstreamRouter } from './upstream-router.js';

export interface MirroredManifest extends ManifestContent {
  /** Served from the cache because the upstream could not be asked. */
  stale: boolean;
  /** Fetched from upstream for this request (or for the one it joined): a cold pull is starting. */
  fetched?: boolean;
}

export type MirroredBlob = { kind: 'stored'; descriptor: BlobDescriptor } | { kind: 'transfer'; transfer: SpoolFile };

export interface PullThroughOptions {
  services: RegistryServices;
  router: UpstreamRouter;
  origins: RepositoryOrigins;
  blobs: MirrorBlobs;
  /** Downloads the blobs of a freshly fetched image manifest ahead of the client; absent: none. */
  prefetch?: BlobPrefetch;
  stats: MirrorStats;
  ledger: PullLedger;
  log: Logger;
  tagRevalidateMs: number;
  now?: () => number;
  /** Under http.workers: tells the other workers when a tag was confirmed upstream (they skip asking too). */
  announceTagCheck?: (key: string, at: number) => void;
}

const ACCEPT_MANIFESTS = MANIFEST_MEDIA_TYPES.join(', ');

export class PullThrough {
  private readonly manifestFlights = new SingleFlight<MirroredManifest>();
  /** When each tag (`upstream|remote name|tag`) was last confirmed upstream. */
  private readonly tagCheckedAt = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: PullThroughOptions) {
    this.now = options.now ?? Date.now;
  }

  get stats(): MirrorStats {
    return this.options.stats;
  }

  /** The upstream `name` is mirrored from, or undefined when it is served locally only. */
  async route(name: string, ns: string | undefined): Promise<UpstreamRoute | undefined> {
    const route = this.options.router.route(name, ns);
    if (route === undefined) return undefined;
    return (await this.options.origins.isPushed(name)) ? undefined : route;
  }

  /** After a push: the name is the team's own from now on. */
  async pushed(name: string): Promise<void> {
    await this.options.origins.markPushed(name);
  }

  async manifest(name: string, reference: Reference, route: UpstreamRoute): Promise<MirroredManifest> {
    const manifest = reference.kind === 'digest' ? await this.manifestByDigest(name, reference.digest, route) : await this.manifestByTag(name, reference.tag, route);
    // Recency for eviction; a failure to record it must not fail the pull.
    this.options.ledger.touch(name, manifest.digest).catch((err: Error) => this.options.log.warn({ repository: name, err: err.message }, 'could not record a pull'));
    return manifest;
  }

  /**
   * Starts downloading the blobs an image manifest just fetched from upstream (`fetched`) names, so that the
   * client's blob GETs find them under way. `signal`: aborts when the client's connection closes.
   */
  prefetchBlobs(name: string, route: UpstreamRoute, manifest: ManifestContent, signal?: AbortSignal): void {
    this.options.prefetch?.start(name, route, manifest.content, manifest.mediaType, signal);
  }

  /** Stops background work (cache eviction). */
  close(): void {
    this.stopMaintenance?.();
  }

  /** Set by createMirror when eviction runs on a timer. */
  stopMaintenance: (() => void) | undefined;

  /** `again`: the same request asking once more (its download was stored meanwhile): counted once, not twice. */
  async blob(name: string, digest: Digest, route: UpstreamRoute, again = false): Promise<MirroredBlob> {
    const stored = await this.storedBlob(name, digest, route);
    if (stored !== null) {
      if (!again) this.options.stats.hits += 1;
      return { kind: 'stored', descriptor: stored };
    }
    let transfer: Transfer;
    try {
      transfer = await this.options.blobs.transfer(name, route, digest, false, again);
    } catch (err) {
      throw this.clientError(err, route, `blob ${digest.value}`, () => blobUnknown(digest));
    }
    if (transfer !== 'stored') return { kind: 'transfer', transfer };
    // Another replica downloaded it while this one waited: it is in the store now.
    const storedElsewhere = await this.storedBlob(name, digest, route);
    if (storedElsewhere === null) throw blobUnknown(digest);
    return { kind: 'stored', descriptor: storedElsewhere };
  }

  /** The blob from storage: linked here, or stored for another repository (same bytes: linked here now). */
  private async storedBlob(name: string, digest: Digest, route: UpstreamRoute): Promise<BlobDescriptor | null> {
    const { blobs } = this.options.services;
    const linked = await blobs.find(name, digest);
    if (linked !== null) return linked;
    const stored = await blobs.statGlobal(digest);
    if (stored === null) return null;
    await this.options.origins.markMirrored(name, route.client.name);
    await blobs.link(name, digest);
    return stored;
  }

  /** The upstream's tags (all pages, sorted); the cached ones when the upstream cannot be asked. */
  async tags(name: string, route: UpstreamRoute): Promise<string[]> {
    try {
      const found = new Set<string>();
      let path: string | undefined = 'tags/list';
      for (let page = 0; path !== undefined && page < MAX_TAG_PAGES; page++) {
        const response = await route.client.request({ method: 'GET', remoteName: route.remoteName, path });
        const body = JSON.parse((await readSmallBody(response.body, route.client.name, 'a tag list', MAX_MANIFEST_BYTES)).toString('utf8')) as { tags?: unknown };
        if (Array.isArray(body.tags)) for (const tag of body.tags) if (typeof tag === 'string') found.add(tag);
        path = nextTagsPage(response.headers.get('link'), route.remoteName);
      }
      this.options.stats.misses += 1;
      return [...found].sort();
    } catch (err) {
      if (err instanceof SyntaxError) throw this.clientError(new UpstreamError('UPSTREAM_FAILED', `${route.client.name} sent a tag list that is not JSON`), route, `tags of ${name}`, () => nameUnknown(name));
      if (err instanceof UpstreamError && err.code !== 'UPSTREAM_NOT_FOUND') {
        const cached = await this.options.services.tags.list(name).catch(() => undefined);
        if (cached !== undefined && cached.length > 0) {
          this.options.stats.staleServed += 1;
          return cached;
        }
      }
      throw this.clientError(err, route, `tags of ${name}`, () => nameUnknown(name));
    }
  }

  /**
   * HEAD of a blob: answered from storage only (linked here, or stored for another repository and linked here
   * now), never asked upstream. Pull clients GET blobs; a HEAD comes from a pusher checking what to upload, and
   * asking upstream would leak a private name there and fail the push while the upstream is down.
   */
  async blobSize(name: string, digest: Digest, route: UpstreamRoute): Promise<number> {
    const stored = await this.storedBlob(name, digest, route);
    if (stored === null) throw blobUnknown(digest);
    return stored.size;
  }

  private async manifestByDigest(name: string, digest: Digest, route: UpstreamRoute): Promise<MirroredManifest> {
    const { manifests } = this.options.services;
    if (await manifests.hasRevision(name, digest)) {
      this.options.stats.hits += 1;
      return { ...(await manifests.get(name, { kind: 'digest', digest })), stale: false };
    }
    const key = `${route.client.name}|${route.remoteName}@${digest.value}`;
    const flight = this.manifestFlights.run(key, async () => {
      this.options.stats.misses += 1;
      return this.fetchManifest(name, route, digest.value, undefined);
    });
    if (flight.joined) this.options.stats.coalesced += 1;
    try {
      return await flight.result;
    } catch (err) {
      throw this.clientError(err, route, `manifest ${digest.value}`, () => manifestUnknown(name, digest.value));
    }
  }

  private async manifestByTag(name: string, tag: string, route: UpstreamRoute): Promise<MirroredManifest> {
    const key = `${route.client.name}|${route.remoteName}:${tag}`;
    const local = await this.localTag(name, tag);
    const checkedAt = this.tagCheckedAt.get(key);
    if (local !== undefined && checkedAt !== undefined && this.now() - checkedAt < this.options.tagRevalidateMs) {
      this.options.stats.hits += 1;
      return local;
    }
    const flight = this.manifestFlights.run(key, () => this.revalidate(name, tag, route, key, local));
    if (flight.joined) this.options.stats.coalesced += 1;
    return flight.result;
  }

  /** A tag confirmed upstream at `at`, here (`ours`: told to the other workers) or by another worker. */
  tagChecked(key: string, at: number, ours = false): void {
    if ((this.tagCheckedAt.get(key) ?? 0) < at) this.tagCheckedAt.set(key, at);
    if (ours) this.options.announceTagCheck?.(key, at);
  }

  /** One HEAD upstream: the cached manifest if the tag still names it, else the new one fetched and cached. */
  private async revalidate(name: string, tag: string, route: UpstreamRoute, key: string, local: MirroredManifest | undefined): Promise<MirroredManifest> {
    const { stats, log } = this.options;
    try {
      stats.revalidations += 1;
      const head = await route.client.request({ method: 'HEAD', remoteName: route.remoteName, path: `manifests/${tag}`, headers: { Accept: ACCEPT_MANIFESTS } });
      const upstreamDigest = tryParseDigest(head.headers.get('docker-content-digest') ?? '');
      if (local !== undefined && upstreamDigest !== null && upstreamDigest.value === local.digest.value) {
        this.tagChecked(key, this.now(), true);
        stats.hits += 1;
        return local;
      }
      stats.misses += 1;
      const fetched = await this.fetchManifest(name, route, upstreamDigest?.value ?? tag, tag);
      this.tagChecked(key, this.now(), true);
      return fetched;
    } catch (err) {
      if (err instanceof UpstreamError && err.code !== 'UPSTREAM_NOT_FOUND' && local !== undefined) {
        stats.staleServed += 1;
        log.warn({ repository: name, tag, upstream: route.client.name, err: err.message }, 'upstream unavailable: serving the cached tag');
        return { ...local, stale: true };
      }
      throw this.clientError(err, route, `${route.remoteName}:${tag}`, () => manifestUnknown(name, tag));
    }
  }

  private async localTag(name: string, tag: string): Promise<MirroredManifest | undefined> {
    try {
      return { ...(await this.options.services.manifests.get(name, { kind: 'tag', tag })), stale: false };
    } catch (err) {
      if (err instanceof RegistryError && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
      throw err;
    }
  }

  /** GET of a manifest upstream (by digest, or by tag when the upstream gave no digest), verified and cached. */
  private async fetchManifest(name: string, route: UpstreamRoute, reference: string, tag: string | undefined): Promise<MirroredManifest> {
    const response = await route.client.request({ method: 'GET', remoteName: route.remoteName, path: `manifests/${reference}`, headers: { Accept: ACCEPT_MANIFESTS } });
    const content = await readSmallBody(response.body, route.client.name, 'a manifest', MAX_MANIFEST_BYTES);
    const expected = tryParseDigest(reference) ?? tryParseDigest(response.headers.get('docker-content-digest') ?? '');
    const digest = digestOf(content, expected?.algorithm ?? 'sha256');
    if (expected !== null && expected.value !== digest.value) {
      throw new UpstreamError('UPSTREAM_DIGEST_MISMATCH', `${route.client.name} sent a manifest for ${reference} that hashes to ${digest.value}`);
    }
    this.options.stats.upstreamBytes += content.length;
    await this.options.origins.markMirrored(name, route.client.name);
    const contentType = response.headers.get('content-type') ?? undefined;
    const { manifests } = this.options.services;
    await manifests.put(name, tag === undefined ? { kind: 'digest', digest } : { kind: 'tag', tag }, content, contentType, { checkReferences: false });
    return { ...(await manifests.get(name, { kind: 'digest', digest })), stale: false, fetched: true };
  }

  /** What the client sees for an upstream failure: the upstream's "no", or 503 naming the upstream. */
  private clientError(err: unknown, route: UpstreamRoute, what: string, notFound: () => RegistryError): Error {
    if (!(err instanceof UpstreamError)) return err as Error;
    if (err.code === 'UPSTREAM_NOT_FOUND') return notFound();
    if (err.code === 'UPSTREAM_THROTTLED') {
      return new RegistryError('TOOMANYREQUESTS', `upstream ${route.client.name} is throttling and ${what} is not cached`, { detail: { upstream: route.client.name } });
    }
    if (err.code === 'UPSTREAM_AUTH') {
      // Still 503: the mirror's own configuration is at fault, not the client, whose 401/403 would send it
      // looking for credentials of ours. The message tells the operator which setting to look at.
      const refused = route.client.config.username === undefined ? 'requires credentials and the mirror has none configured' : `refused the mirror's credentials`;
      this.options.log.warn({ upstream: route.client.name, what, err: err.message, status: err.status }, `upstream ${refused}`);
      return new RegistryError('UNAVAILABLE', `upstream ${route.client.name} ${refused} (${err.status ?? 'no usable token'}), and ${what} is not cached`, {
        detail: { upstream: route.client.name, reason: err.code, upstreamStatus: err.status },
      });
    }
    this.options.log.warn({ upstream: route.client.name, what, err: err.message, code: err.code }, 'upstream unavailable and not cached');
    return new RegistryError('UNAVAILABLE', `upstream ${route.client.name} is unavailable and ${what} is not cached`, {
      detail: { upstream: route.client.name, reason: err.code },
    });
  }
}

const MAX_TAG_PAGES = 100;

/** The next page of a paginated tag list (`Link: </v2/<name>/tags/list?last=x&n=y>; rel="next"`) as a path after `/v2/<name>/`. */
function nextTagsPage(link: string | null, remoteName: string): string | undefined {
  const target = link === null ? undefined : /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1];
  if (target === undefined) return undefined;
  const url = new URL(target, 'http://upstream');
  const prefix = `/v2/${remoteName}/`;
  return url.pathname.startsWith(prefix) ? `${url.pathname.slice(prefix.length)}${url.search}` : undefined;
}
