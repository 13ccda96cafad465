// What each page shows, read from the services: only the names and digests the page displays are looked at
// (a list page never opens every manifest of every repository).
import { parseDigest, tryParseDigest, type Digest } from '../oci/digest.js';
import { isIndexMediaType } from '../oci/media-types.js';
import { RegistryError } from '../oci/registry-errors.js';
import { forEachLimited } from '../gc/store-inventory.js';
import type { RegistryServices } from '../services/registry-services.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { IMAGE_CONFIG_TYPES, readImageConfig } from './image-config.js';
import { ImageSummaries, platformOf } from './image-summaries.js';
import { RepositorySummaries } from './repository-summaries.js';
import { listTagEntries } from './repository-tags.js';
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
/** Bytes of a raw manifest shown pretty-printed. */
const RAW_LIMIT = 256 * 1024;

export class PageData {
  readonly images: ImageSummaries;
  readonly repositories: RepositorySummaries;
  private readonly driver: StorageDriver;

  constructor(private readonly services: RegistryServices) {
    this.driver = services.driver;
    this.images = new ImageSummaries(services.manifests, services.driver);
    this.repositories = new RepositorySummaries(services.driver, this.images);
  }

  /** A page of repositories after `last` the viewer may pull whose name contains `query`. */
  async repositoryRows(query: string, last: string | undefined, mayPull: (name: string) => boolean): Promise<{ rows: RepositoryRow[]; next?: string }> {
    const needle = query.toLowerCase();
    const page = await this.services.catalog.page(REPOSITORIES_PER_PAGE, last, (name) => (needle === '' || name.includes(needle)) && mayPull(name));
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

  /** The tags of `name`, sorted, one page of them with their summaries and pull times. Throws NAME_UNKNOWN. */
  async tagRows(name: string, sort: TagSort, page: number): Promise<{ rows: TagRow[]; total: number; pages: number; page: number }> {
    const entries = await listTagEntries(this.driver, name);
    if (entries === undefined && !(await this.repositoryExists(name))) throw new RegistryError('NAME_UNKNOWN', 'repository name not known to registry', { detail: { name } });
    const all = entries ?? [];
    if (sort === 'time') all.sort((a, b) => b.pushed.getTime() - a.pushed.getTime() || (a.tag < b.tag ? -1 : 1));
    const pages = Math.max(1, Math.ceil(all.length / TAGS_PER_PAGE));
    const current = Math.min(Math.max(1, page), pages);
    const shown = all.slice((current - 1) * TAGS_PER_PAGE, current * TAGS_PER_PAGE);
    const rows: TagRow[] = shown.map((entry) => ({ tag: entry.tag, digest: entry.digest.value, pushed: entry.pushed }));
    await forEachLimited(rows, 16, async (row) => {
      const digest = parseDigest(row.digest);
      const [summary, pulled] = await Promise.all([this.images.get(digest), this.lastPulled(name, digest)]);
      if (summary) {
        row.summary = summary;
        const created = parseTime(summary.created);
        if (created) row.created = created;
      }
      if (pulled) row.lastPulled = pulled;
    });
    return { rows, total: all.length, pages, page: current };
  }

  /** Everything the image page shows of `reference` in `name` (throws the API's errors: MANIFEST_UNKNOWN, NAME_UNKNOWN). */
  async image(name: string, reference: string): Promise<Omit<ImagePageProps, 'ctx' | 'pullHost' | 'mayDelete'>> {
    const digestRef = tryParseDigest(reference);
    const manifest = await this.services.manifests.get(name, digestRef ? { kind: 'digest', digest: digestRef } : { kind: 'tag', tag: reference });
    const digest = manifest.digest;
    const summary = await this.images.get(digest);
    const raw = manifest.content.length > RAW_LIMIT ? `${manifest.content.subarray(0, RAW_LIMIT).toString('utf8')}\n… (${manifest.content.length} bytes; the rest is not shown)` : prettyJson(manifest.content);
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
      const artifactType = manifest.parsed.artifactType ?? (IMAGE_CONFIG_TYPES.has(config.mediaType) ? undefined : config.mediaType);
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

  /** When `name@digest` was last pulled, as recorded for retention (written in batches: up to a minute late). */
  async lastPulled(name: string, digest: Digest): Promise<Date | undefined> {
    const pending = this.services.pulls?.pendingTime(name, digest);
    if (pending !== undefined) return new Date(pending);
    try {
      return parseTime((await this.driver.getContent(pathFor({ kind: 'pullRecord', name, digest }))).toString('utf8').trim());
    } catch (err) {
      if (isPathNotFound(err)) return undefined;
      throw err;
    }
  }

  /** The tags in `name` that point at `digest` (for the delete confirmation). */
  async tagsOf(name: string, digest: Digest): Promise<string[]> {
    return ((await listTagEntries(this.driver, name)) ?? []).filter((t) => t.digest.value === digest.value).map((t) => t.tag);
  }

  private async repositoryExists(name: string): Promise<boolean> {
    try {
      await this.driver.stat(pathFor({ kind: 'repository', name }));
      return true;
    } catch (err) {
      if (isPathNotFound(err)) return false;
      throw err;
    }
  }
}

function prettyJson(content: Buffer): string {
  try {
    return JSON.stringify(JSON.parse(content.toString('utf8')), null, 2);
  } catch {
    return content.toString('utf8');
  }
}
