// What each page shows, read from the services: only the names and digests the page displays are looked at
// (a list page never opens every manifest of every repository).
import { parseDigest, tryParseDigest, type Digest } from '../oci/digest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { forEachLimited } from '../gc/store-inventory.js';
import type { RegistryServices } from '../services/registry-services.js';
import { nameUnknown, repositoryExists } from '../services/repository-check.js';
import { readPullTime } from '../gc/pull-recorder.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { artifactTypeOf, readImageConfig } from './image-config.js';
import { ImageSummaries, platformOf } from './image-summaries.js';
import { RepositoryNames } from './repository-names.js';
import { RepositorySummaries } from './repository-summaries.js';
import { upperBound } from '../services/repository-pages.js';
import { listTagEntries, listTagNames, readTagEntries, tagPushTimes } from './repository-tags.js';
import { parseTime } from './pages/format.js';
import type { RepositoryRow } from './pages/repositories-page.js';
import type { TagRow, TagSort } from './pages/repository-page.js';
import type { ImagePageProps, ManifestDetail, PlatformDetail, ReferrerRow } from './pages/image-page.js';

/** Repositories per page of the repositories list. */
export const REPOSITORIES_PER_PAGE = 50;
/** Tags per page of a repository. */
export const TAGS_PER_PAGE = 100;
/** Platforms of an index shown with their layers, configuration and history. */
const MAX_PLATFORM_DETAILS = 32;
/** Bytes of a raw manifest shown (the rest is cut, with a line saying so). */
const RAW_LIMIT = 256 * 1024;

export class PageData {
  readonly images: ImageSummaries;
  readonly repositories: RepositorySummaries;
  private readonly names: RepositoryNames;
  private readonly driver: StorageDriver;

  constructor(private readonly services: RegistryServices) {
    this.driver = services.driver;
    this.images = new ImageSummaries(services.manifests, services.driver);
    this.repositories = new RepositorySummaries(services.driver, this.images);
    this.names = new RepositoryNames(services.catalog);
  }

  /**
   * A page of repositories after `last` the viewer may pull whose name contains `query`: without a query a
   * catalog page (it walks only what it returns), with one the names kept in memory (repository-names.ts).
   */
  async repositoryRows(query: string, last: string | undefined, mayPull: (name: string) => boolean): Promise<{ rows: RepositoryRow[]; next?: string }> {
    const needle = query.toLowerCase();
    // Someone looking at the list may filter next: the names are read meanwhile (once per process; later
    // refreshes only when someone filters).
    if (needle === '') this.names.warm();
    const page = needle === '' ? await this.services.catalog.page(REPOSITORIES_PER_PAGE, last, mayPull) : await this.matchingNames(needle, last, mayPull);
    const rows: RepositoryRow[] = page.items.map((name) => ({ name }));
    await forEachLimited(rows, 8, async (row) => {
      try {
        const summary = await this.repositories.get(row.name);
        row.tags = summary.tags;
        row.size = summary.size;
        if (summary.lastPush) row.lastPush = summary.lastPush;
      } catch {
        row.problem = 'could not be read';
      }
    });
    const lastRow = rows[rows.length - 1];
    return { rows, ...(page.more && lastRow ? { next: lastRow.name } : {}) };
  }

  /** Up to a page of names containing `needle` after `last`, and whether more follow. */
  private async matchingNames(needle: string, last: string | undefined, mayPull: (name: string) => boolean): Promise<{ items: string[]; more: boolean }> {
    const names = await this.names.all();
    const items: string[] = [];
    for (let i = last === undefined ? 0 : upperBound(names, last); i < names.length; i++) {
      const name = names[i] as string;
      if (!name.includes(needle) || !mayPull(name)) continue;
      if (items.length === REPOSITORIES_PER_PAGE) return { items, more: true };
      items.push(name);
    }
    return { items, more: false };
  }

  /**
   * The tags of `name`, sorted, one page of them with their summaries and pull times. Sorted by name only the
   * page's tags are read; by time every tag's link is stat'ed (its mtime is the push time) and the page's read.
   * Throws NAME_UNKNOWN.
   */
  async tagRows(name: string, sort: TagSort, page: number): Promise<{ rows: TagRow[]; total: number; pages: number; page: number }> {
    const names = await listTagNames(this.driver, name);
    if (names === undefined && !(await repositoryExists(this.driver, name))) throw nameUnknown(name);
    let all = names ?? [];
    let pushed: Map<string, Date> | undefined;
    if (sort === 'time') {
      pushed = await tagPushTimes(this.driver, name, all);
      const times = pushed;
      all = all.filter((tag) => times.has(tag)).sort((a, b) => (times.get(b) as Date).getTime() - (times.get(a) as Date).getTime() || (a < b ? -1 : 1));
    }
    const pages = Math.max(1, Math.ceil(all.length / TAGS_PER_PAGE));
    const current = Math.min(Math.max(1, page), pages);
    const shown = await readTagEntries(this.driver, name, all.slice((current - 1) * TAGS_PER_PAGE, current * TAGS_PER_PAGE), pushed);
    const rows: TagRow[] = shown.map((entry) => ({ tag: entry.tag, digest: entry.digest.value, pushed: entry.pushed }));
    const pulled = await this.pullTimes(name, shown.map((entry) => entry.digest));
    await forEachLimited(rows, 16, async (row) => {
      const summary = await this.images.get(parseDigest(row.digest));
      if (summary) {
        row.summary = summary;
        const created = parseTime(summary.created);
        if (created) row.created = created;
      }
      const lastPulled = pulled.get(row.digest);
      if (lastPulled) row.lastPulled = lastPulled;
    });
    return { rows, total: all.length, pages, page: current };
  }

  /**
   * When each of `digests` was last pulled from `name`, as recorded for retention (written in batches: up to a
   * minute late, so this process's pending times come first). One listing per digest algorithm, then a read
   * for each digest that has a record.
   */
  async pullTimes(name: string, digests: readonly Digest[]): Promise<Map<string, Date>> {
    const times = new Map<string, Date>();
    const wanted = new Map(digests.map((d) => [d.value, d]));
    const recorded = new Set<string>();
    for (const algorithm of new Set(digests.map((d) => d.algorithm))) {
      const sample = digests.find((d) => d.algorithm === algorithm) as Digest;
      const path = pathFor({ kind: 'pullRecord', name, digest: sample });
      try {
        for (const file of await this.driver.list(path.slice(0, path.lastIndexOf('/')))) recorded.add(`${algorithm}:${file.slice(file.lastIndexOf('/') + 1)}`);
      } catch (err) {
        if (!isPathNotFound(err)) throw err;
      }
    }
    await forEachLimited([...wanted.values()], 16, async (digest) => {
      const pending = this.services.pulls?.pendingTime(name, digest);
      if (pending !== undefined) times.set(digest.value, new Date(pending));
      else if (recorded.has(digest.value)) {
        const at = await readPullTime(this.driver, name, digest.value);
        if (at !== undefined) times.set(digest.value, new Date(at));
      }
    });
    return times;
  }

  /** Everything the image page shows of `reference` in `name` (throws the API's errors: MANIFEST_UNKNOWN, NAME_UNKNOWN). */
  async image(name: string, reference: string): Promise<Omit<ImagePageProps, 'ctx' | 'pullHost' | 'mayDelete'>> {
    const digestRef = tryParseDigest(reference);
    const manifest = await this.services.manifests.get(name, digestRef ? { kind: 'digest', digest: digestRef } : { kind: 'tag', tag: reference });
    const digest = manifest.digest;
    const summary = await this.images.get(digest);
    // The stored bytes as they are (copying them gives the digest's content), only cut when huge.
    const raw = manifest.content.length > RAW_LIMIT ? `${manifest.content.subarray(0, RAW_LIMIT).toString('utf8')}\n… (${manifest.content.length} bytes; the rest is not shown)` : manifest.content.toString('utf8');
    const referrers = await this.referrerRows(name, digest);
    const base = {
      name,
      ...(digestRef ? {} : { tag: reference }),
      digest: digest.value,
      mediaType: manifest.mediaType,
      size: summary?.size ?? manifest.content.length,
      ...(manifest.parsed.subject ? { subject: manifest.parsed.subject.digest.value } : {}),
      referrers,
      raw,
    };
    if (isIndexMediaType(manifest.parsed.mediaType)) {
      const children = manifest.parsed.manifests.slice(0, MAX_PLATFORM_DETAILS);
      const platforms: PlatformDetail[] = await Promise.all(
        children.map(async (child) => {
          const childSummary = await this.images.get(child.digest);
          return {
            platform: platformOf(child) ?? childSummary?.platforms[0]?.platform ?? 'unknown',
            digest: child.digest.value,
            size: childSummary?.size ?? child.size,
            detail: await this.manifestDetail(child.digest),
          };
        }),
      );
      return { ...base, platforms };
    }
    return { ...base, detail: await this.manifestDetail(digest) };
  }

  /** Layers and configuration of one manifest. */
  async manifestDetail(digest: Digest): Promise<ManifestDetail> {
    const manifest = await this.services.manifests.load(digest).catch(() => null);
    if (manifest === null) return { digest: digest.value, mediaType: '', size: 0, layers: [], problem: `The manifest ${digest.value} is not in this registry (a partial copy or a mirror that has not fetched it yet).` };
    const [config, ...layers] = manifest.parsed.blobs;
    const detail: ManifestDetail = {
      digest: digest.value,
      mediaType: manifest.mediaType,
      size: manifest.content.length,
      layers: layers.map((layer) => ({ digest: layer.digest.value, mediaType: layer.mediaType, size: layer.size })),
    };
    if (isIndexMediaType(manifest.parsed.mediaType)) return { ...detail, problem: 'A nested index: open it to see its platforms.' };
    if (config !== undefined) {
      detail.configDigest = config.digest.value;
      const artifactType = artifactTypeOf(manifest.parsed);
      if (artifactType !== undefined) detail.artifactType = artifactType;
      else {
        const read = await readImageConfig(this.driver, config.digest).catch(() => undefined);
        if (read) detail.config = read;
      }
    }
    return detail;
  }

  private async referrerRows(name: string, digest: Digest): Promise<ReferrerRow[]> {
    try {
      const answer = await this.services.referrers.list(name, digest);
      return answer.index.manifests.map((r) => ({ digest: r.digest, artifactType: r.artifactType ?? '', size: r.size }));
    } catch {
      return [];
    }
  }

  /** The tags in `name` that point at `digest` (for the delete confirmation). */
  async tagsOf(name: string, digest: Digest): Promise<string[]> {
    return ((await listTagEntries(this.driver, name)) ?? []).filter((t) => t.digest.value === digest.value).map((t) => t.tag);
  }

}
