// The web UI on S3: the ui group's pages served from a bucket of s3rver instead of the filesystem. The store is
// the ui group's (ui-store.ts), smaller (S3_UI_REPOSITORIES one-tag repositories, the same repository of many tags
// and the index), written on disk and uploaded key by key. Two configurations: the registry on s3rver directly,
// and through the testbed's proxy answering every S3 request NETWORK_MS later, as a bucket in the same AWS region
// does; there requests made one after another add up. Per page: cold and warm times as in the ui group, and the
// S3 requests of its first and second request (counted by the proxy, they do not depend on the machine).
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startHttpFaultProxy, startS3rver, type HttpFaultProxy } from '@private-registry/testbed';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { progress, type Figure } from './figures.js';
import type { S3Storage } from './registry-process.js';
import { sdkClient } from './s3-measures.js';
import { checkDeployment, openBrowser, startRegistry, timePage, type Deployment, type UiSettings } from './ui-measures.js';
import { checkPage, uiPages, type UiPage } from './ui-pages.js';
import { writeUiStore } from './ui-store.js';
import { uiSummaryTable, type PageResult } from './ui-summary.js';

/** One-tag repositories in the bucket (s3rver writes a directory per key segment: 10,000 would take minutes). */
export const S3_UI_REPOSITORIES = 1_000;
/** The round trip the proxy adds to each S3 request in the second configuration. */
const NETWORK_MS = 20;
/** Requests after the first in each run: a page that makes many S3 requests takes seconds through the proxy. */
const WARM_REQUESTS = 5;
/** Objects uploaded at once. */
const WRITERS = 32;

interface Counted {
  cold: number;
  warm: number;
}

/** Every file under `root` as a key relative to it (the bucket's root is the store's rootdirectory). */
function storeFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** S3 requests of a page's first and second request, through the counting proxy. */
async function countRequests(deployment: Deployment, page: UiPage, settings: UiSettings, proxy: HttpFaultProxy): Promise<Counted> {
  const registry = await startRegistry(deployment, settings);
  try {
    const browser = await openBrowser(registry, deployment);
    const before = proxy.requests.length;
    const first = await browser.get(page.path);
    checkPage(page, first.status, first.text);
    const afterCold = proxy.requests.length;
    await browser.get(page.path);
    const afterWarm = proxy.requests.length;
    browser.close();
    return { cold: afterCold - before, warm: afterWarm - afterCold };
  } finally {
    await registry.stop();
  }
}

export async function measureUiOnS3(groupSettings: UiSettings): Promise<Figure[]> {
  const settings = { ...groupSettings, warmRequests: Math.min(groupSettings.warmRequests, WARM_REQUESTS) };
  const started = performance.now();
  const s3 = await startS3rver({ silent: true });
  const proxy = await startHttpFaultProxy(s3.endpoint);
  const root = join(settings.dir, 'ui-s3-store');
  try {
    const store = writeUiStore(root, { repositories: S3_UI_REPOSITORIES, tags: settings.tags });
    const bucket = await s3.createBucket('web-ui');
    const keys = storeFiles(root);
    const client = sdkClient(s3);
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < keys.length) {
          const key = keys[next++]!;
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(root, key)) }));
        }
      }),
    );
    client.destroy();
    await rm(root, { recursive: true, force: true });
    progress(`ui on S3: ${keys.length.toLocaleString('en')} objects (${S3_UI_REPOSITORIES.toLocaleString('en')} repositories, ${settings.tags.toLocaleString('en')} tags) uploaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    const storage: S3Storage = { endpoint: s3.endpoint, bucket, region: s3.region, accessKey: s3.accessKey, secretKey: s3.secretKey, redirectDisabled: true };
    const all: Deployment[] = [
      { id: 's3', label: 'S3 (s3rver), open registry', dir: join(settings.dir, 'ui-s3'), config: { s3: storage }, env: {} },
      { id: `s3-network${NETWORK_MS}`, label: `S3, each request ${NETWORK_MS} ms away`, dir: join(settings.dir, 'ui-s3-far'), config: { s3: { ...storage, endpoint: proxy.url } }, env: {} },
    ];
    // S3 keeps the upload's time, not the one ui-store gave the link: sorted by time, any tag may come first.
    const pages = uiPages(store).map((page) => (page.id === 'tags-time' ? { ...page, expect: `href="/ui/r/${store.tagged}/-/1.` } : page));
    const figures: Figure[] = [];
    const results: PageResult[] = [];
    for (const deployment of all) {
      await mkdir(deployment.dir, { recursive: true });
      const far = deployment.id !== 's3';
      if (far) proxy.setMode({ kind: 'latency', ms: NETWORK_MS });
      const { side, bytes } = await checkDeployment(deployment, settings, pages);
      for (const page of pages) {
        progress(`ui on S3: ${page.label}, ${deployment.label}`);
        const times = await timePage(side, deployment, page, settings, [s3.process.pid as number]);
        const requests = far ? await countRequests(deployment, page, settings, proxy) : undefined;
        results.push({ ...times, bytes: bytes.get(page.id) ?? Number.NaN });
        const base = `ui.${deployment.id}.${page.id}`;
        const label = `${page.label}, ${deployment.label}`;
        figures.push(
          { id: `${base}.warm`, label: `${label}, warm median`, unit: 'ms', better: 'lower', ours: times.warm, reference: undefined, ...(requests ? { note: `S3 requests: first ${requests.cold}, then ${requests.warm}` } : {}) },
          { id: `${base}.cold`, label: `${label}, cold (first request after start)`, unit: 'ms', better: 'lower', ours: times.cold, reference: undefined },
        );
        if (requests) {
          figures.push(
            { id: `${base}.requests-cold`, label: `${label}: S3 requests of the first request`, unit: 'count', better: 'lower', ours: { value: requests.cold, runs: [requests.cold] }, reference: undefined },
            { id: `${base}.requests-warm`, label: `${label}: S3 requests of the second request`, unit: 'count', better: 'lower', ours: { value: requests.warm, runs: [requests.warm] }, reference: undefined },
          );
        }
        progress(`  cold ${times.cold?.value.toFixed(1)} ms, warm ${times.warm?.value.toFixed(1)} ms${requests ? `; S3 requests ${requests.cold} then ${requests.warm}` : ''}`);
      }
      proxy.setMode({ kind: 'pass' });
    }
    console.log(uiSummaryTable(results, { target: 100, note: `on S3 (s3rver, ${S3_UI_REPOSITORIES.toLocaleString('en')} repositories); no target on S3`, seconds: (performance.now() - started) / 1000 }));
    return figures;
  } finally {
    await proxy.close();
    await s3.stop();
    await rm(root, { recursive: true, force: true });
  }
}
