// Listing a large store: `_catalog?n=100` pages (first, middle through `last=`, final) at 10,000 and 100,000
// repositories, and `tags/list?n=100` pages on a repository of 10,000 tags. The store is written directly in
// distribution's layout (directories and link files only: listings read nothing else) and served read-only by both
// registries at once. Each run is the median latency of sequential requests for one page; both registries must
// answer every page with the same names, or the bench stops.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { measurePair, progress, type Figure, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { median } from './statistics.js';

export interface CatalogSettings {
  dir: string;
  runs: number;
  /** Store sizes, in repositories. */
  sizes: readonly number[];
  /** Tags of the one tagged repository. */
  tags: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
}

export const V2 = 'docker/registry/v2';
export const PAGE = 100;
/** Sequential requests a run takes the median of. */
const REQUESTS = 15;
const NAMESPACES = 100;
const TAGGED = 'tagged/app';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** Repository names, sorted: NAMESPACES namespaces of equal size, with names a team would use. */
export function repositoryNames(count: number): string[] {
  const width = String(count).length;
  const names: string[] = [];
  for (let i = 0; i < count; i += 1) names.push(`team-${String(i % NAMESPACES).padStart(3, '0')}/app-${String(i).padStart(width, '0')}`);
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * A store of `names`, one tag directory each (listings never read the link), plus TAGGED with `tags` tags, links included. Each repository has `_manifests` and `_layers`,
 * as a pushed one does (distribution 2.8.2 lists a directory only once it holds `_layers`).
 */
function buildStore(root: string, names: readonly string[], tags: number): void {
  const repositories = join(root, V2, 'repositories');
  for (const name of names) {
    mkdirSync(join(repositories, name, '_manifests/tags/latest/current'), { recursive: true });
    mkdirSync(join(repositories, name, '_layers'));
  }
  mkdirSync(join(repositories, TAGGED, '_layers'), { recursive: true });
  for (let t = 0; t < tags; t += 1) {
    const current = join(repositories, TAGGED, '_manifests/tags', `v${String(t).padStart(5, '0')}`, 'current');
    mkdirSync(current, { recursive: true });
    writeFileSync(join(current, 'link'), DIGEST);
  }
}

export interface Page {
  id: string;
  label: string;
  path: string;
  /** tags/list pages: the `last` asked for ('' for none). */
  tagsLast?: string;
}

export function pages(names: readonly string[], size: number, tags: number): { catalog: Page[]; tags: Page[] } {
  const sizeLabel = size.toLocaleString('en');
  const middle = names[Math.floor(names.length / 2)]!;
  const final = names[names.length - PAGE / 2]!;
  const tagName = (t: number): string => `v${String(t).padStart(5, '0')}`;
  return {
    catalog: [
      { id: `catalog.${size}.first`, label: `_catalog?n=${PAGE}, first page, ${sizeLabel} repositories`, path: `/v2/_catalog?n=${PAGE}` },
      { id: `catalog.${size}.middle`, label: `_catalog?n=${PAGE}, middle page (last=), ${sizeLabel} repositories`, path: `/v2/_catalog?n=${PAGE}&last=${encodeURIComponent(middle)}` },
      { id: `catalog.${size}.final`, label: `_catalog?n=${PAGE}, final page, ${sizeLabel} repositories`, path: `/v2/_catalog?n=${PAGE}&last=${encodeURIComponent(final)}` },
    ],
    tags: [
      { id: 'tags.first', label: `tags/list?n=${PAGE}, first page, ${tags.toLocaleString('en')} tags`, path: `/v2/${TAGGED}/tags/list?n=${PAGE}`, tagsLast: '' },
      { id: 'tags.middle', label: `tags/list?n=${PAGE}, middle page (last=)`, path: `/v2/${TAGGED}/tags/list?n=${PAGE}&last=${tagName(Math.floor(tags / 2))}`, tagsLast: tagName(Math.floor(tags / 2)) },
    ],
  };
}

export async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 200)}`);
  return text;
}

/** The median latency, in ms, of `requests` sequential GETs of `path`. */
export async function pageLatency(side: Side, path: string, requests = REQUESTS): Promise<number> {
  const url = side.registry.baseUrl + path;
  const times: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    await fetchText(url);
    times.push(performance.now() - started);
  }
  return median(times);
}

/**
 * Both registries answer `path` with the same names in the same order; the bench is void otherwise. tags/list
 * of distribution 2.8.2 ignores n and last and lists every tag in directory order: there ours must be the right
 * cut of its sorted list, and the returned note says so.
 */
export async function sameAnswer(sides: readonly Side[], page: Page): Promise<string | undefined> {
  const [ours, reference] = await Promise.all(sides.map(async (side) => JSON.parse(await fetchText(side.registry.baseUrl + page.path)) as { repositories?: string[]; tags?: string[] }));
  const disagree = (detail: string): Error =>
    new Error(`${page.path}: the registries disagree (${detail})\n  ours: ${JSON.stringify(ours).slice(0, 300)}\n  reference: ${JSON.stringify(reference).slice(0, 300)}`);
  if (page.tagsLast === undefined) {
    if (JSON.stringify(ours) !== JSON.stringify(reference)) throw disagree('catalog');
    return undefined;
  }
  const theirs = reference?.tags ?? [];
  // An A/A run (--ours-reference): two references agree with each other, whatever they send.
  if (JSON.stringify(ours) === JSON.stringify(reference)) return theirs.length > PAGE ? 'both ignore n and last' : undefined;
  const expected = [...theirs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).filter((tag) => page.tagsLast === '' || tag > page.tagsLast!).slice(0, PAGE);
  if (JSON.stringify(ours?.tags) !== JSON.stringify(expected)) throw disagree('tags');
  return theirs.length > PAGE ? `the reference ignores n and last: it sends all ${theirs.length} tags, unsorted` : undefined;
}

export async function measureCatalog(settings: CatalogSettings): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const [index, size] of settings.sizes.entries()) {
    const base = join(settings.dir, `catalog-${size}`);
    const store = join(base, 'store');
    const names = repositoryNames(size);
    const tags = index === 0 ? settings.tags : 0;
    const started = performance.now();
    buildStore(store, names, tags);
    progress(`catalog: ${size} repositories${tags > 0 ? ` and ${tags} tags` : ''} written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const all = tags > 0 ? [...names, TAGGED].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) : names;
    const sides: Side[] = [];
    try {
      for (const kind of ['ours', 'reference'] as const) {
        const dir = join(base, kind);
        await mkdir(dir, { recursive: true });
        await symlink(store, join(dir, 'data'));
        const registry = await RegistryProcess.start(kind, settings.implementations[kind], dir);
        sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
      }
      const { catalog, tags: tagPages } = pages(all, size, tags);
      let referenceFirst: number | undefined;
      for (const page of [...catalog, ...(tags > 0 ? tagPages : [])]) {
        const note = await sameAnswer(sides, page);
        const result = await measurePair(sides, settings.runs, (side) => pageLatency(side, page.path));
        const figure: Figure = { id: page.id, label: page.label, unit: 'ms', better: 'lower', ours: result.ours, reference: result.reference, ...(note === undefined ? {} : { note }) };
        if (page.id.endsWith('.first') && page.id.startsWith('catalog.')) {
          referenceFirst = result.reference?.value;
          figure.target = { kind: 'ratio-at-most', ratio: 1, label: "a first page as fast as the reference's" };
        } else if (page.id.startsWith('catalog.')) {
          figure.target = { kind: 'ratio-at-most', ratio: 0.1, label: "a middle or final page at least 10× faster than the reference's" };
          if (referenceFirst !== undefined && result.ours !== undefined && result.ours.value > referenceFirst) {
            figure.note = `slower than the reference's first page (${referenceFirst.toFixed(1)} ms)`;
          }
        } else {
          figure.target = { kind: 'ratio-at-most', ratio: 0.5, label: "tags/list at least 2× the reference's" };
        }
        figures.push(figure);
        progress(`${page.label}: ours ${result.ours?.value.toFixed(1)} ms, reference ${result.reference?.value.toFixed(1)} ms`);
      }
    } finally {
      for (const side of sides) await side.registry.stop();
    }
  }
  return figures;
}
