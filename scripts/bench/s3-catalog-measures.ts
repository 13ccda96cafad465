// The catalog on S3: the same `_catalog?n=100` pages as the catalog group (first, middle through `last=`,
// final), on a bucket of s3rver holding 10,000 repositories in distribution's layout (a tag link and a layer
// link each: 20,000 objects, written through the AWS SDK). Both registries serve the bucket read-only at once.
// Two figures per page: the median latency, and how many S3 requests the page cost each registry, counted by
// the testbed's proxy in front of s3rver for a second pair of registries (the count does not depend on the
// machine; the latency includes s3rver's, a Node process on the same two cores). Then a third figure: the same
// second pair with the proxy answering every S3 request NETWORK_MS later, as a bucket in the same AWS region
// does (20-50 ms a LIST); there requests made one after another add up, and requests in flight together do not.
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startHttpFaultProxy, startS3rver } from '@private-registry/testbed';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIGEST, fetchText, pageLatency, pages, repositoryNames, sameAnswer, V2 } from './catalog-measures.js';
import { measurePair, progress, type Figure, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind, type S3Storage } from './registry-process.js';
import { sdkClient } from './s3-measures.js';

export interface S3CatalogSettings {
  dir: string;
  runs: number;
  /** Repositories in the bucket. */
  size: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
}

/** Sequential requests a run takes the median of: s3rver lists slowly (it reads its directory tree for each LIST). */
const REQUESTS = 3;
/** The round trip the proxy adds to each S3 request for the third figure. */
const NETWORK_MS = 20;
/** Requests a run of the third figure times (a page of the reference can take tens of seconds there). */
const NETWORK_REQUESTS = 1;
/** Objects written at once while the bucket is filled. */
const WRITERS = 32;

async function startSides(settings: S3CatalogSettings, storage: S3Storage, label: string): Promise<Side[]> {
  const sides: Side[] = [];
  for (const kind of ['ours', 'reference'] as const) {
    const dir = join(settings.dir, `s3-catalog-${label}-${kind}`);
    await mkdir(dir, { recursive: true });
    const registry = await RegistryProcess.start(kind, settings.implementations[kind], dir, [], { s3: storage });
    sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
  }
  return sides;
}

export async function measureS3Catalog(settings: S3CatalogSettings): Promise<Figure[]> {
  const s3 = await startS3rver({ silent: true });
  const proxy = await startHttpFaultProxy(s3.endpoint);
  const sides: Side[] = [];
  try {
    const bucket = await s3.createBucket('catalog');
    const names = repositoryNames(settings.size);
    const keys = names.flatMap((name) => [`${V2}/repositories/${name}/_manifests/tags/latest/current/link`, `${V2}/repositories/${name}/_layers/sha256/${'ab'.repeat(32)}/link`]);
    const client = sdkClient(s3);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < keys.length) await client.send(new PutObjectCommand({ Bucket: bucket, Key: keys[next++], Body: DIGEST }));
      }),
    );
    client.destroy();
    progress(`catalog on S3: ${settings.size} repositories (${keys.length} objects) written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const storage = { endpoint: s3.endpoint, bucket, region: s3.region, accessKey: s3.accessKey, secretKey: s3.secretKey, redirectDisabled: true };
    sides.push(...(await startSides(settings, storage, 'timed')));
    const counted = await startSides(settings, { ...storage, endpoint: proxy.url }, 'counted');
    sides.push(...counted);
    const size = settings.size.toLocaleString('en');
    const figures: Figure[] = [];
    for (const page of pages(names, settings.size, 0).catalog) {
      const timed = sides.slice(0, 2);
      await sameAnswer(timed, page);
      const result = await measurePair(timed, settings.runs, (side) => pageLatency(side, page.path, REQUESTS), undefined, [s3.process.pid as number]);
      const requests: Partial<Record<RegistryKind, number>> = {};
      for (const side of counted) {
        await fetchText(side.registry.baseUrl + page.path);
        const before = proxy.requests.length;
        await fetchText(side.registry.baseUrl + page.path);
        requests[side.kind] = proxy.requests.length - before;
      }
      const label = page.label.replace(`${size} repositories`, `${size} repositories on S3 (s3rver)`);
      const target: Figure['target'] = page.id.endsWith('.first')
        ? { kind: 'ratio-at-most', ratio: 1, label: "a first page as fast as the reference's" }
        : { kind: 'ratio-at-most', ratio: 0.1, label: "a middle or final page at least 10× faster than the reference's" };
      figures.push({ id: page.id.replace('catalog.', 'catalog.s3.'), label, unit: 'ms', better: 'lower', ours: result.ours, reference: result.reference, target });
      figures.push({
        id: `${page.id.replace('catalog.', 'catalog.s3.')}.requests`,
        label: `${label}: S3 requests per page`,
        unit: 'count',
        better: 'lower',
        ours: { value: requests.ours ?? Number.NaN, runs: [requests.ours ?? Number.NaN] },
        reference: { value: requests.reference ?? Number.NaN, runs: [requests.reference ?? Number.NaN] },
      });
      proxy.setMode({ kind: 'latency', ms: NETWORK_MS });
      const distant = await measurePair(counted, settings.runs, (side) => pageLatency(side, page.path, NETWORK_REQUESTS), undefined, [s3.process.pid as number]);
      proxy.setMode({ kind: 'pass' });
      figures.push({
        id: `${page.id.replace('catalog.', 'catalog.s3.')}.network${NETWORK_MS}`,
        label: `${label}, each S3 request ${NETWORK_MS} ms away`,
        unit: 'ms',
        better: 'lower',
        ours: distant.ours,
        reference: distant.reference,
        target,
      });
      progress(
        `${label}: ours ${result.ours?.value.toFixed(1)} ms (${requests.ours} requests; ${distant.ours?.value.toFixed(0)} ms with ${NETWORK_MS} ms per request), ` +
          `reference ${result.reference?.value.toFixed(1)} ms (${requests.reference} requests; ${distant.reference?.value.toFixed(0)} ms)`,
      );
    }
    return figures;
  } finally {
    for (const side of sides) await side.registry.stop();
    await proxy.close();
    await s3.stop();
  }
}
