// http.workers: ours with one worker and with two, and the reference, in the same run. Small requests under load
// (wrk for a manifest GET, ab for a blob HEAD, as the requests group), requests/s and the server's CPU seconds per
// 10,000 requests (all of its processes: the primary and its workers). On this 2-core machine the load generator
// takes a core too, so requests/s cannot double; CPU per request is the machine-independent figure.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { processCpuSeconds, processTreeCpuSeconds } from './cpu-accounting.js';
import { measurePair, PerRun, progress, type Figure, type RunLabel, type Side, type Target } from './figures.js';
import { runLoad, type LoadSettings, type LoadTarget } from './load-generator.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { pushSmallImage } from './request-measures.js';
import { GiB, MB, MiB } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface WorkersSettings extends LoadSettings {
  /** The random data file test blobs are cut from, its size, and the chunk size of chunked pushes. */
  file: string;
  blobBytes: number;
  chunkBytes: number;
  warmupSeconds: number;
  runs: number;
  scratchDir: string;
  dir: string;
  implementations: Record<RegistryKind, RegistryImplementation>;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const treeTotal = (perProcess: Map<number, number>): number => [...perProcess.values()].reduce((sum, seconds) => sum + seconds, 0);

/**
 * How one run's server CPU split over the processes of a registry with workers (the primary, then each worker):
 * the evidence that node:cluster handed connections to both workers. Undefined for a single process.
 */
function cpuSplit(before: Map<number, number>, after: Map<number, number>, primary: number): string | undefined {
  const used = [...after].map(([pid, seconds]) => ({ pid, seconds: seconds - (before.get(pid) ?? 0) }));
  if (used.length < 2) return undefined;
  const total = used.reduce((sum, member) => sum + member.seconds, 0);
  if (total <= 0) return undefined;
  const share = (seconds: number): string => `${Math.round((seconds / total) * 100)}%`;
  const workers = used.filter((member) => member.pid !== primary).map((member) => share(member.seconds));
  return `primary ${share(used.find((member) => member.pid === primary)?.seconds ?? 0)}, workers ${workers.join(' / ')}`;
}

/** One load run on `side`: its requests/s; its server CPU per 10,000 requests into `cpu`, its CPU split into `splits`. */
async function loadRun(side: Side, run: RunLabel, target: LoadTarget, settings: WorkersSettings, cpu: PerRun, errors: string[], splits: Map<number, string>): Promise<number> {
  const seconds = run === 'warmup' ? settings.warmupSeconds : settings.seconds;
  const before = processTreeCpuSeconds(side.registry.pid);
  const result = await runLoad(side.registry.baseUrl, target, { ...settings, seconds }, settings.scratchDir);
  const after = processTreeCpuSeconds(side.registry.pid);
  const used = treeTotal(after) - treeTotal(before);
  cpu.add(side, run, (used / (result.requestsPerSecond * seconds)) * 10_000);
  if (result.errors) errors.push(`${side.registry.kind}: ${result.errors}`);
  const split = cpuSplit(before, after, side.registry.pid);
  if (split !== undefined && run !== 'warmup') {
    splits.set(run, split); // a repeated run replaces its disturbed attempt
    progress(`  run ${run}, server CPU by process: ${split}`);
  }
  return result.requestsPerSecond;
}

/** The target: on this 2-core machine, 2 workers serve more requests/s than 1 (beyond the A/A noise). */
const TWO_WORKERS_TARGET: Target = { kind: 'ratio-at-least', ratio: 1.1, label: '2 workers serve more requests/s than 1 worker' };

/** A pair of registries measured against each other: `ours` and `against` (the reference, or ours with one worker). */
async function comparePair(
  ours: Side,
  against: Side,
  target: LoadTarget,
  settings: WorkersSettings,
  id: string,
  label: string,
  note: string,
  goal?: Target,
): Promise<Figure[]> {
  const cpu = new PerRun();
  const errors: string[] = [];
  const splits = new Map<number, string>();
  const rate = await measurePair([ours, against], settings.runs, (side, run) => loadRun(side, run, target, settings, cpu, errors, splits));
  for (const error of errors) console.error(`  ! ${error}`);
  const errorNote = errors.length > 0 ? `; errors during load: ${errors.join(' | ')}` : '';
  const splitNote = splits.size > 0 ? `; server CPU by process, per run: ${[...splits.values()].join('; ')}` : '';
  return [
    {
      id: `${id}.rate`,
      label: `${label}: requests/s`,
      unit: 'req/s',
      better: 'higher',
      ...rate,
      ...(goal === undefined ? {} : { target: goal }),
      note: `${note}${errorNote}${splitNote}`,
    },
    { id: `${id}.cpu`, label: `${label}: server CPU s per 10,000 requests`, unit: 's', better: 'lower', ...cpu.samples(rate), note },
  ];
}

/**
 * A chunked push into ours with 2 workers, its PATCHes on fresh connections (so consecutive chunks reach different
 * workers, and each worker brings its running hash forward over the chunks the other wrote) against the same push
 * on one kept-alive connection (one worker all along): what a handover costs, in MB/s and server CPU s/GiB.
 */
async function measureChunkedHandover(two: RegistryProcess, settings: WorkersSettings): Promise<Figure[]> {
  const client = new RegistryClient(two.baseUrl);
  const alternating: Side = { kind: 'ours', registry: two, client };
  const oneWorker: Side = { kind: 'reference', registry: two, client };
  const cpu = new PerRun();
  const rate = await measurePair([alternating, oneWorker], settings.runs, async (side, run) => {
    const blob = await TestBlob.create(settings.file, settings.blobBytes);
    const before = processCpuSeconds(two.pid);
    const started = performance.now();
    await side.client.pushChunked('bench/handover', blob, settings.chunkBytes, side === alternating);
    const seconds = (performance.now() - started) / 1000;
    cpu.add(side, run, (processCpuSeconds(two.pid) - before) / (blob.size / GiB));
    return blob.size / MB / seconds;
  });
  const label = `chunked push of ${settings.blobBytes / MiB} MiB in ${settings.chunkBytes / MiB} MiB PATCHes, ours 2 workers: chunks alternating workers vs all on one`;
  const note = 'both columns are ours with http.workers: 2; the reference column keeps one connection (one worker)';
  return [
    { id: 'workers.chunked-handover.rate', label: `${label} (MB/s)`, unit: 'MB/s', better: 'higher', ...rate, note },
    { id: 'workers.chunked-handover.cpu', label: `${label}: server CPU`, unit: 's/GiB', better: 'lower', ...cpu.samples(rate), note },
  ];
}

export async function measureWorkers(settings: WorkersSettings): Promise<Figure[]> {
  const started: RegistryProcess[] = [];
  try {
    const start = async (kind: RegistryKind, implementation: RegistryImplementation, name: string, workers: number): Promise<Side> => {
      const registry = await RegistryProcess.start(kind, implementation, join(settings.dir, name), [], { workers });
      started.push(registry);
      progress(`workers: ${name}: ${implementation} pid ${registry.pid} at ${registry.baseUrl}`);
      return { kind, registry, client: new RegistryClient(registry.baseUrl) };
    };
    const two = await start('ours', settings.implementations.ours, 'ours-2-workers', 2);
    // Ours with one worker stands on the "reference" side of its pair: the table's ratio is then 2 workers / 1.
    const one = await start('reference', settings.implementations.ours, 'ours-1-worker', 1);
    const reference = await start('reference', settings.implementations.reference, 'reference', 1);
    const layer = randomBytes(4096);
    let layerDigest = '';
    for (const side of [two, one, reference]) layerDigest = (await pushSmallImage(side, layer)).layerDigest;
    const targets: Array<{ target: LoadTarget; label: string }> = [
      { target: { id: 'workers-manifest', method: 'GET', path: '/v2/bench/small/manifests/latest', headers: { Accept: OCI_MANIFEST } }, label: 'GET manifest by tag (OCI)' },
      { target: { id: 'workers-blob-head', method: 'HEAD', path: `/v2/bench/small/blobs/${layerDigest}`, headers: {} }, label: 'HEAD blob (ab)' },
    ];
    const figures: Figure[] = [];
    for (const { target, label } of targets) {
      const shape = `${settings.connections} connections, ${settings.seconds} s runs`;
      progress(`workers: ${label}, ${shape}: ours with 2 workers against ours with 1`);
      figures.push(...(await comparePair(two, one, target, settings, `workers.${target.id.slice(8)}.two-vs-one`, `${label}, ours 2 workers vs ours 1 worker`, `the reference column is ours with http.workers: 1; ${shape}`, TWO_WORKERS_TARGET)));
      progress(`workers: ${label}, ${shape}: ours with 2 workers against the reference`);
      figures.push(...(await comparePair(two, reference, target, settings, `workers.${target.id.slice(8)}.two-vs-reference`, `${label}, ours 2 workers vs reference`, shape)));
    }
    progress(`workers: chunked push, ${settings.chunkBytes / MiB} MiB chunks alternating workers against one worker`);
    figures.push(...(await measureChunkedHandover(two.registry, settings)));
    return figures;
  } finally {
    for (const registry of started) await registry.stop();
  }
}
