// Small-request rates under load (wrk; ab for HEAD) against a small but real-looking OCI image:
// a config blob, one 4 KiB layer, an image manifest, and 50 tags on it.
import { createHash, randomBytes } from 'node:crypto';
import { measurePair, progress, type Figure, type Side } from './figures.js';
import { runLoad, type LoadSettings, type LoadTarget } from './load-generator.js';

const REPOSITORY = 'bench/small';
const TAG_COUNT = 50;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

interface SmallImage {
  layerDigest: string;
  layerBytes: number;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Pushes the small image (and its 50 tags) into bench/small; the auth group seeds its registries with it too. */
export async function pushSmallImage(side: Side, layer: Buffer): Promise<SmallImage> {
  const layerDigest = await side.client.pushSmallBlob(REPOSITORY, layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [sha256(layer)] },
      history: [{ created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs.tar /' }],
    }),
  );
  const configDigest = await side.client.pushSmallBlob(REPOSITORY, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
    }),
  );
  await side.client.putManifest(REPOSITORY, 'latest', OCI_MANIFEST, manifest);
  for (let i = 1; i < TAG_COUNT; i++) await side.client.putManifest(REPOSITORY, `v1.${i}`, OCI_MANIFEST, manifest);
  return { layerDigest, layerBytes: layer.length };
}

function targetsFor(image: SmallImage): LoadTarget[] {
  return [
    { id: 'base', method: 'GET', path: '/v2/', headers: {} },
    { id: 'manifest', method: 'GET', path: `/v2/${REPOSITORY}/manifests/latest`, headers: { Accept: OCI_MANIFEST } },
    { id: 'blob-head', method: 'HEAD', path: `/v2/${REPOSITORY}/blobs/${image.layerDigest}`, headers: {} },
    { id: 'blob-get', method: 'GET', path: `/v2/${REPOSITORY}/blobs/${image.layerDigest}`, headers: {} },
    { id: 'tags', method: 'GET', path: `/v2/${REPOSITORY}/tags/list`, headers: {} },
  ];
}

const LABELS: Record<string, string> = {
  base: 'GET /v2/',
  manifest: 'GET manifest by tag (OCI)',
  'blob-head': 'HEAD blob (ab)',
  'blob-get': 'GET 4 KiB blob',
  tags: `GET tags/list (${TAG_COUNT} tags)`,
};

/** One request of each kind must succeed with the expected body before load is put on it. */
async function checkTargets(side: Side, targets: readonly LoadTarget[], image: SmallImage): Promise<void> {
  for (const target of targets) {
    const reply = await side.client.request(target.method, target.path, target.headers);
    if (reply.status !== 200) throw new Error(`${side.kind}: ${target.method} ${target.path}: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
    if ((target.id === 'blob-get' || target.id === 'blob-head') && Number(reply.headers['content-length']) !== image.layerBytes) {
      throw new Error(`${side.kind}: ${target.method} blob Content-Length ${reply.headers['content-length']}, expected ${image.layerBytes}`);
    }
    if (target.id === 'tags') {
      const tags = (JSON.parse(reply.text) as { tags?: string[] }).tags ?? [];
      if (tags.length !== TAG_COUNT) throw new Error(`${side.kind}: tags/list has ${tags.length} tags, expected ${TAG_COUNT}`);
    }
    if (target.id === 'manifest' && !String(reply.headers['content-type']).startsWith(OCI_MANIFEST)) {
      throw new Error(`${side.kind}: manifest served as ${reply.headers['content-type']}`);
    }
  }
}

export async function measureRequests(
  sides: readonly Side[],
  settings: LoadSettings & { warmupSeconds: number; runs: number; scratchDir: string },
): Promise<Figure[]> {
  const layer = randomBytes(4096);
  let targets: LoadTarget[] = [];
  for (const side of sides) {
    const image = await pushSmallImage(side, layer);
    targets = targetsFor(image);
    await checkTargets(side, targets, image);
  }
  const figures: Figure[] = [];
  for (const target of targets) {
    progress(`requests: ${LABELS[target.id]}, ${settings.connections} connections, ${settings.seconds} s runs`);
    const errors: string[] = [];
    const samples = await measurePair(sides, settings.runs, async (side, run) => {
      const seconds = run === 'warmup' ? settings.warmupSeconds : settings.seconds;
      const result = await runLoad(side.registry.baseUrl, target, { ...settings, seconds }, settings.scratchDir);
      if (result.errors) errors.push(`${side.kind}: ${result.errors}`);
      return result.requestsPerSecond;
    });
    for (const error of errors) console.error(`  ! ${error}`);
    figures.push({
      id: `requests.${target.id}`,
      label: LABELS[target.id] ?? target.id,
      unit: 'req/s',
      better: 'higher',
      ...samples,
      target: { kind: 'ratio-at-least', ratio: 3, label: 'small requests ≥ 3× reference' },
      ...(errors.length > 0 ? { note: `errors during load: ${errors.join(' | ')}` } : {}),
    });
  }
  return figures;
}
