// Mirror mode (pull-through cache): our registry with `proxy.remoteurl` against distribution's proxy mode,
// both in front of the same upstream (a plain reference registry holding a multi-layer image). A pull is a GET
// of the manifest by tag, then a GET of every blob in order, bodies counted and dropped (digests checked in
// the warm-ups). Figures: a plain pull (no mirror) as the baseline, a warm pull (cache hit), a cold pull (a
// fresh mirror process with an empty data directory for every run, warmed by one pull of a small other image),
// and N cold pulls at once, with the bytes the upstream sent for each, counted from its access log.
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measurePair, progress, type Figure, type RunLabel, type Sample, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { MB, median, megabytesPerSecond, MiB, timed } from './statistics.js';
import { TestBlob } from './test-blob.js';
import { UpstreamLog, type UpstreamTraffic } from './upstream-log.js';
import { startHttpFaultProxy } from '@private-registry/testbed';

export interface MirrorSettings {
  file: string;
  fileBytes: number;
  imageBytes: number;
  layers: number;
  clients: number;
  runs: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
  dir: string;
}

const REPOSITORY = 'bench/mirror';
/** The per-response cap of the capped-upstream cold pull (a WAN upstream such as Docker Hub caps each connection). */
const CAPPED_BYTES_PER_SECOND = 16 * MiB;

/** A small image pulled through every fresh mirror before the timed pull: the process is warm, the cache cold for the image measured. */
const PRIMER = 'bench/mirror-primer';
const TAG = 'latest';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** A failed GET is retried at once, up to this many attempts in all (a client such as docker retries too, after a pause). */
const ATTEMPTS = 3;

interface Descriptor {
  digest: string;
  size: number;
}

interface Image {
  repository: string;
  manifest: string;
  /** Config first, then the layers: the order a pull GETs them in. */
  blobs: Descriptor[];
  blobBytes: number;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function imageOf(repository: string, layers: readonly Descriptor[]): { image: Image; config: Buffer } {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) } }),
  );
  const blobs = [{ digest: sha256(config), size: config.length }, ...layers.map((layer) => ({ digest: layer.digest, size: layer.size }))];
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blobs[0] },
    layers: blobs.slice(1).map((blob) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob })),
  });
  return { image: { repository, manifest, blobs, blobBytes: blobs.reduce((sum, blob) => sum + blob.size, 0) }, config };
}

async function pushImage(client: RegistryClient, image: Image, config: Buffer, layers: readonly (TestBlob | Buffer)[]): Promise<void> {
  for (const layer of layers) {
    if (layer instanceof TestBlob) await client.pushWhole(image.repository, layer);
    else await client.pushSmallBlob(image.repository, layer);
  }
  await client.pushSmallBlob(image.repository, config);
  await client.putManifest(image.repository, TAG, OCI_MANIFEST, Buffer.from(image.manifest));
}

/** Wrong bytes: never retried, the pull fails. */
class CorruptPull extends Error {}

/** GETs that failed and were retried, by message (digests shortened so that like failures add up). */
class Retries {
  readonly byMessage = new Map<string, number>();

  add(error: unknown): void {
    const message = (error instanceof Error ? error.message : String(error)).replace(/(sha256:[0-9a-f]{12})[0-9a-f]{52}/g, '$1…');
    this.byMessage.set(message, (this.byMessage.get(message) ?? 0) + 1);
  }

  get total(): number {
    return [...this.byMessage.values()].reduce((sum, n) => sum + n, 0);
  }

  summary(): string {
    return [...this.byMessage].map(([message, n]) => `${n}× ${message}`).join('; ');
  }
}

async function withRetries<T>(retries: Retries, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CorruptPull || attempt >= ATTEMPTS) throw error;
      retries.add(error);
    }
  }
}

/** One pull: the manifest by tag, then every blob in order. Returns the bytes received. */
async function pullImage(client: RegistryClient, image: Image, verify: boolean, retries: Retries): Promise<number> {
  const { repository } = image;
  const text = await withRetries(retries, async () => {
    const reply = await client.request('GET', `/v2/${repository}/manifests/${TAG}`, { Accept: OCI_MANIFEST });
    if (reply.status !== 200) throw new Error(`GET manifest ${repository}:${TAG}: HTTP ${reply.status}: ${reply.text.slice(0, 200)}`);
    return reply.text;
  });
  if (verify && text !== image.manifest) throw new CorruptPull(`GET manifest ${repository}:${TAG}: not the manifest that was pushed upstream`);
  const manifest = JSON.parse(text) as { config: Descriptor; layers: Descriptor[] };
  let bytes = Buffer.byteLength(text);
  for (const blob of [manifest.config, ...manifest.layers]) {
    bytes += await withRetries(retries, async () => {
      const got = await client.pullBlob(repository, blob.digest, verify).catch((error: unknown) => {
        throw (error as Error).message.includes('body hashes to') ? new CorruptPull((error as Error).message) : error;
      });
      if (got !== blob.size) throw new Error(`GET blob ${blob.digest}: ${got} bytes, expected ${blob.size}`);
      return got;
    });
  }
  return bytes;
}

/** `clients` pulls at once; if any fails (after its retries), says how many and with what. */
async function pullAtOnce(client: RegistryClient, image: Image, clients: number, verify: boolean, retries: Retries): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: clients }, () => pullImage(client, image, verify, retries)));
  const failures = new Retries();
  let bytes = 0;
  for (const result of results) {
    if (result.status === 'fulfilled') bytes += result.value;
    else failures.add(result.reason);
  }
  if (failures.total > 0) throw new Error(`${failures.total} of ${clients} pulls failed: ${failures.summary()}`);
  return bytes;
}

/** Per side and run, a second value taken during the same run as a figure's (the run's last attempt). */
class RunValues {
  private readonly values = new Map<RegistryKind, Map<RunLabel, number>>();

  set(kind: RegistryKind, run: RunLabel, value: number): void {
    if (!this.values.has(kind)) this.values.set(kind, new Map());
    this.values.get(kind)!.set(run, value);
  }

  /** The runs measurePair kept in `from` (it stops a side at its first error): 0, 1, … in order. */
  private kept(kind: RegistryKind, from: Sample | undefined): number[] {
    const byRun = this.values.get(kind);
    const count = from?.runs.length ?? 0;
    const runs: number[] = [];
    for (let run = 0; run < count; run++) {
      const value = byRun?.get(run);
      if (value !== undefined) runs.push(value);
    }
    return runs;
  }

  /** A sample like measurePair's (median of the runs), with `from`'s other-CPU shares and error. */
  sample(kind: RegistryKind, from: Sample | undefined): Sample | undefined {
    if (from === undefined) return undefined;
    const runs = this.kept(kind, from);
    const sample: Sample = { value: median(runs), runs, otherCpu: from.otherCpu ?? [] };
    const warmup = this.values.get(kind)?.get('warmup');
    if (from.warmup !== undefined && warmup !== undefined) sample.warmup = warmup;
    if (from.error !== undefined) sample.error = from.error;
    return sample;
  }

  median(kind: RegistryKind, from: Sample | undefined): number {
    return median(this.kept(kind, from));
  }
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

function seconds(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} s` : 'n/a';
}

type PerSide<T> = Record<RegistryKind, T>;

function newRetries(): PerSide<Retries> {
  return { ours: new Retries(), reference: new Retries() };
}

/** "; retried GETs: ours …" when any GET had to be retried. */
function retryNote(retries: PerSide<Retries>): string {
  const parts = (['ours', 'reference'] as const).filter((kind) => retries[kind].total > 0).map((kind) => `${kind} ${retries[kind].total} (${retries[kind].summary()})`);
  return parts.length === 0 ? '' : `; GETs that failed and were retried: ${parts.join(', ')}`;
}

export async function measureMirror(settings: MirrorSettings): Promise<Figure[]> {
  const started: RegistryProcess[] = [];
  const start = async (kind: RegistryKind, implementation: RegistryImplementation, name: string, proxyRemoteUrl?: string, accessLog = false) => {
    const registry = await RegistryProcess.start(kind, implementation, join(settings.dir, name), [], {
      ...(proxyRemoteUrl === undefined ? {} : { proxyRemoteUrl }),
      accessLog,
    });
    started.push(registry);
    return registry;
  };
  // The data goes; config and server.log stay (for --keep).
  const stop = async (registry: RegistryProcess) => {
    await registry.stop();
    await rm(registry.dataDir, { recursive: true, force: true });
  };
  try {
    const upstream = await start('reference', 'docker-registry', 'mirror-upstream', undefined, true);
    const upstreamLog = new UpstreamLog(upstream.logPath);
    const upstreamClient = new RegistryClient(upstream.baseUrl);
    const plain = await start('ours', settings.implementations.ours, 'mirror-plain');
    progress(`mirror: upstream (reference, plain) pid ${upstream.pid} at ${upstream.baseUrl}; ours plain pid ${plain.pid}`);

    const layerBytes = Math.min(settings.fileBytes, Math.floor(settings.imageBytes / settings.layers));
    const layers: TestBlob[] = [];
    for (let i = 0; i < settings.layers; i++) layers.push(await TestBlob.create(settings.file, layerBytes));
    const { image, config } = imageOf(REPOSITORY, layers);
    const primerLayer = randomBytes(MiB);
    const primer = imageOf(PRIMER, [{ digest: sha256(primerLayer), size: primerLayer.length }]);
    const size = `${(image.blobBytes / MiB).toFixed(0)} MiB image (config + ${settings.layers} layers)`;
    const imageMB = image.blobBytes / MB;
    progress(`mirror: pushing the ${size} to the upstream and to our plain registry`);
    await pushImage(upstreamClient, image, config, layers);
    await pushImage(upstreamClient, primer.image, primer.config, [primerLayer]);
    await pushImage(new RegistryClient(plain.baseUrl), image, config, layers);

    const mirrorOf = (kind: RegistryKind, name: string, upstreamUrl = upstream.baseUrl) => start(kind, settings.implementations[kind], name, upstreamUrl);
    const mirrors: Side[] = [];
    for (const kind of ['ours', 'reference'] as const) {
      const registry = await mirrorOf(kind, `mirror-warm-${kind}`);
      progress(`mirror: ${kind} ${settings.implementations[kind]} in mirror mode, pid ${registry.pid} at ${registry.baseUrl}`);
      mirrors.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
    }
    const plainSides: Side[] = [
      { kind: 'ours', registry: plain, client: new RegistryClient(plain.baseUrl) },
      { kind: 'reference', registry: upstream, client: upstreamClient },
    ];
    // Every registry serves the image correctly once before anything is timed; this also fills the warm mirrors.
    const checks = newRetries();
    for (const side of [...plainSides, ...mirrors]) await pullImage(side.client, image, true, checks[side.kind]);
    for (const side of mirrors) {
      if (!(await upstreamLog.waitSettled(side.registry.dataDir, image.blobs.map((blob) => blob.digest)))) {
        throw new Error(`${side.kind} mirror did not store the image within 120 s of a pull`);
      }
    }
    const upstreamPid = [upstream.pid];

    progress(`mirror: plain pull (no mirror) of the ${size}, 1 client`);
    const plainRetries = newRetries();
    const plainSingle = await measurePair(plainSides, settings.runs, async (side, run) => {
      const { value: bytes, seconds: s } = await timed(() => pullImage(side.client, image, run === 'warmup', plainRetries[side.kind]));
      return megabytesPerSecond(bytes, s);
    });

    progress(`mirror: warm pull (cache hit), 1 client`);
    const warmRequests = new RunValues();
    const warmRetries = newRetries();
    const warmSingle = await measurePair(
      mirrors,
      settings.runs,
      async (side, run) => {
        const mark = upstreamLog.mark();
        const { value: bytes, seconds: s } = await timed(() => pullImage(side.client, image, run === 'warmup', warmRetries[side.kind]));
        const traffic = await upstreamLog.since(mark);
        warmRequests.set(side.kind, run, traffic.blobGets + traffic.otherRequests);
        if (traffic.blobGets > 0) throw new Error(`a warm pull fetched ${traffic.blobGets} blobs upstream`);
        return megabytesPerSecond(bytes, s);
      },
      undefined,
      upstreamPid,
    );

    /**
     * A cold run: a fresh mirror (empty data directory) warmed by one pull of the small primer image, then
     * `clients` timed pulls at once; then, once the mirror has stored the image, what the upstream sent for them.
     */
    let coldRuns = 0;
    const cold = async (kind: RegistryKind, clients: number, verify: boolean, retries: Retries, upstreamUrl = upstream.baseUrl): Promise<{ seconds: number; traffic: UpstreamTraffic }> => {
      const mirror = await mirrorOf(kind, `mirror-cold-${kind}-${++coldRuns}`, upstreamUrl);
      try {
        const client = new RegistryClient(mirror.baseUrl);
        await pullImage(client, primer.image, true, retries);
        await upstreamLog.waitSettled(mirror.dataDir, primer.image.blobs.map((blob) => blob.digest));
        const mark = upstreamLog.mark();
        const before = retries.total;
        const { seconds: s } = await timed(() =>
          pullAtOnce(client, image, clients, verify, retries).catch((error: unknown) => {
            throw new Error(`${(error as Error).message}\n    ${kind} mirror log (tail):\n${mirror.logTail(6)}`);
          }),
        );
        if (retries.total > before) progress(`  ${kind}: ${retries.total - before} GETs failed and were retried; mirror log (tail):\n${mirror.logTail(6)}`);
        if (!(await upstreamLog.waitSettled(mirror.dataDir, image.blobs.map((blob) => blob.digest)))) {
          throw new Error(`the ${kind} mirror had not stored the image 120 s after the pulls ended`);
        }
        return { seconds: s, traffic: await upstreamLog.since(mark) };
      } finally {
        await stop(mirror);
      }
    };

    progress(`mirror: cold pull (fresh mirror, empty cache), 1 client`);
    const coldSeconds = new RunValues();
    const coldUpstream = new RunValues();
    const coldRetries = newRetries();
    const coldSingle = await measurePair(
      mirrors,
      settings.runs,
      async (side, run) => {
        const result = await cold(side.kind, 1, run === 'warmup', coldRetries[side.kind]);
        coldSeconds.set(side.kind, run, result.seconds);
        coldUpstream.set(side.kind, run, result.traffic.blobBytes / MB);
        return megabytesPerSecond(image.blobBytes, result.seconds);
      },
      undefined,
      upstreamPid,
    );

    // An upstream that caps every response (as Docker Hub caps a connection): through the testbed's fault proxy,
    // throttling each response body to CAPPED_BYTES_PER_SECOND. Prefetching is for this: the layers come down
    // side by side while the client still asks for them one after another.
    progress(`mirror: cold pull from an upstream capped at ${CAPPED_BYTES_PER_SECOND / MiB} MiB/s per response, 1 client`);
    const capped = await startHttpFaultProxy(upstream.baseUrl);
    capped.setMode({ kind: 'throttle', bytesPerSecond: CAPPED_BYTES_PER_SECOND });
    const cappedRetries = newRetries();
    const cappedDirect: number[] = [];
    let cappedSingle: Record<RegistryKind, Sample | undefined>;
    try {
      const direct = new RegistryClient(capped.url);
      for (let run = 0; run < settings.runs; run++) cappedDirect.push((await timed(() => pullImage(direct, image, run === 0, cappedRetries.reference))).seconds);
      cappedSingle = await measurePair(
        mirrors,
        settings.runs,
        async (side, run) => {
          const result = await cold(side.kind, 1, run === 'warmup', cappedRetries[side.kind], capped.url);
          return megabytesPerSecond(image.blobBytes, result.seconds);
        },
        undefined,
        upstreamPid,
      );
    } finally {
      await capped.close();
    }
    const directCapped = median(cappedDirect);

    progress(`mirror: ${settings.clients} plain pulls at once (no mirror)`);
    const plainManyRetries = newRetries();
    const plainMany = await measurePair(plainSides, settings.runs, async (side, run) => {
      const { seconds: s } = await timed(() => pullAtOnce(side.client, image, settings.clients, run === 'warmup', plainManyRetries[side.kind]));
      return s;
    });

    progress(`mirror: ${settings.clients} cold pulls at once (fresh mirror each run)`);
    const manyUpstream = new RunValues();
    const manyGets = new RunValues();
    const manyOther = new RunValues();
    const manyPerBlob = image.blobs.map(() => new RunValues());
    const manyRetries = newRetries();
    const coldMany = await measurePair(
      mirrors,
      settings.runs,
      async (side, run) => {
        const result = await cold(side.kind, settings.clients, run === 'warmup', manyRetries[side.kind]);
        manyUpstream.set(side.kind, run, result.traffic.blobBytes / MB);
        manyGets.set(side.kind, run, result.traffic.blobGets);
        manyOther.set(side.kind, run, result.traffic.otherRequests);
        image.blobs.forEach((blob, i) => manyPerBlob[i]!.set(side.kind, run, result.traffic.blobGetsByDigest.get(blob.digest) ?? 0));
        return result.seconds;
      },
      undefined,
      upstreamPid,
    );

    const value = (sample: Sample | undefined) => sample?.value ?? Number.NaN;
    const imageMultiple = (values: RunValues, kind: RegistryKind, from: Sample | undefined) => times(values.median(kind, from) / imageMB);
    const perBlob = (kind: RegistryKind) => manyPerBlob.map((values) => values.median(kind, coldMany[kind])).join('/');
    return [
      {
        id: 'mirror.plain.single',
        label: `plain pull, no mirror (reference = the upstream, direct), ${size}, 1 client`,
        unit: 'MB/s',
        better: 'higher',
        ...plainSingle,
        ...(retryNote(plainRetries) === '' ? {} : { note: retryNote(plainRetries).slice(2) }),
      },
      {
        id: 'mirror.warm.single',
        label: 'mirror: warm pull (cache hit), 1 client',
        unit: 'MB/s',
        better: 'higher',
        ...warmSingle,
        note:
          `warm ÷ plain: ours ${times(value(warmSingle.ours) / value(plainSingle.ours))}, reference ${times(value(warmSingle.reference) / value(plainSingle.reference))}` +
          `; upstream requests per warm pull (median): ours ${warmRequests.median('ours', warmSingle.ours)}, reference ${warmRequests.median('reference', warmSingle.reference)}` +
          retryNote(warmRetries),
      },
      {
        id: 'mirror.cold.single',
        label: 'mirror: cold pull (fresh mirror, empty cache), 1 client',
        unit: 'MB/s',
        better: 'higher',
        ...coldSingle,
        note:
          `wall time (median): ours ${seconds(coldSeconds.median('ours', coldSingle.ours))}, reference ${seconds(coldSeconds.median('reference', coldSingle.reference))}` +
          `; cold ÷ direct from the upstream: ours ${times(value(coldSingle.ours) / value(plainSingle.reference))}, reference ${times(value(coldSingle.reference) / value(plainSingle.reference))}` +
          retryNote(coldRetries),
      },
      {
        id: 'mirror.cold.capped',
        label: `mirror: cold pull, 1 client, upstream capped at ${CAPPED_BYTES_PER_SECOND / MiB} MiB/s per response`,
        unit: 'MB/s',
        better: 'higher',
        ...cappedSingle,
        target: { kind: 'ratio-at-least', ratio: 1.2, label: 'cold ≥ 1.2× the reference proxy' },
        note:
          `a direct pull from the capped upstream (blob after blob): ${megabytesPerSecond(image.blobBytes, directCapped).toFixed(1)} MB/s (${seconds(directCapped)})` +
          `; cold ÷ direct: ours ${times(value(cappedSingle.ours) / megabytesPerSecond(image.blobBytes, directCapped))}, reference ${times(value(cappedSingle.reference) / megabytesPerSecond(image.blobBytes, directCapped))}` +
          retryNote(cappedRetries),
      },
      {
        id: 'mirror.cold.single.upstream',
        label: 'mirror: upstream blob bytes for 1 cold pull',
        unit: 'MB',
        better: 'lower',
        ours: coldUpstream.sample('ours', coldSingle.ours),
        reference: coldUpstream.sample('reference', coldSingle.reference),
        note: `image = ${imageMB.toFixed(1)} MB of blobs; fetched: ours ${imageMultiple(coldUpstream, 'ours', coldSingle.ours)}, reference ${imageMultiple(coldUpstream, 'reference', coldSingle.reference)} the image`,
      },
      {
        id: 'mirror.plain.many',
        label: `${settings.clients} pulls at once, no mirror (reference = the upstream, direct), wall time`,
        unit: 's',
        better: 'lower',
        ...plainMany,
        ...(retryNote(plainManyRetries) === '' ? {} : { note: retryNote(plainManyRetries).slice(2) }),
      },
      {
        id: 'mirror.cold.many',
        label: `mirror: ${settings.clients} cold pulls at once (fresh mirror), wall time`,
        unit: 's',
        better: 'lower',
        ...coldMany,
        note: `cold ÷ plain wall time: ours ${times(value(coldMany.ours) / value(plainMany.ours))}, reference ${times(value(coldMany.reference) / value(plainMany.reference))}` + retryNote(manyRetries),
      },
      {
        id: 'mirror.cold.many.upstream',
        label: `mirror: upstream blob bytes for ${settings.clients} cold pulls at once`,
        unit: 'MB',
        better: 'lower',
        ours: manyUpstream.sample('ours', coldMany.ours),
        reference: manyUpstream.sample('reference', coldMany.reference),
        note:
          `fetched: ours ${imageMultiple(manyUpstream, 'ours', coldMany.ours)}, reference ${imageMultiple(manyUpstream, 'reference', coldMany.reference)} the image` +
          `; upstream blob GETs (median; the image has ${image.blobs.length} blobs): ours ${manyGets.median('ours', coldMany.ours)}, reference ${manyGets.median('reference', coldMany.reference)}` +
          `; per blob (config/layer 1/…/layer ${settings.layers}): ours ${perBlob('ours')}, reference ${perBlob('reference')}` +
          `; other upstream requests (GET /v2/, manifests, HEADs): ours ${manyOther.median('ours', coldMany.ours)}, reference ${manyOther.median('reference', coldMany.reference)}`,
      },
    ];
  } finally {
    for (const registry of started) await stop(registry);
  }
}
