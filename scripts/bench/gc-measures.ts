// Garbage collection over a store of 10,000 blobs and 1,000 manifests (half of them untagged, so about half the
// store is garbage), on the filesystem: ours runs `private-registry gc --delete-untagged` while our registry
// serves pulls from the same store; the reference runs its offline `garbage-collect --delete-untagged` (it
// cannot collect online). Wall time and the collector's peak RSS side by side, the remaining blob sets
// compared, and our pull latency during the sweep against without one.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { progress, type Figure, type Sample } from './figures.js';
import { OUR_CLI, RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { residentBytes } from './rss-sampler.js';
import { MB, median, sleep } from './statistics.js';

export interface GcSettings {
  dir: string;
  runs: number;
  manifests: number;
  layersPerManifest: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
}

const REPOSITORIES = 50;
const PULL_CLIENTS = 4;
const V2 = 'docker/registry/v2';

interface Template {
  root: string;
  blobs: number;
  /** Kept tags to pull during the sweep: [repository, tag, config digest]. */
  pulls: [string, string, string][];
}

async function put(path: string, content: Buffer | string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

function digestOf(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

async function writeBlob(root: string, content: Buffer | string): Promise<string> {
  const digest = digestOf(content);
  const hex = digest.slice(7);
  await put(join(root, V2, 'blobs/sha256', hex.slice(0, 2), hex, 'data'), content);
  return digest;
}

async function link(root: string, repository: string, kind: string, digest: string): Promise<void> {
  await put(join(root, V2, 'repositories', repository, kind, 'sha256', digest.slice(7), 'link'), digest);
}

/** The store, written in distribution's layout: every other manifest is tagged; the others are garbage. */
export async function buildTemplate(dir: string, settings: GcSettings): Promise<Template> {
  const root = join(dir, 'gc-template');
  const pulls: [string, string, string][] = [];
  let blobs = 0;
  for (let m = 0; m < settings.manifests; m += 1) {
    const repository = `bench/gc${m % REPOSITORIES}`;
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: m });
    const configDigest = await writeBlob(root, config);
    await link(root, repository, '_layers', configDigest);
    const layers: { mediaType: string; digest: string; size: number }[] = [];
    for (let l = 0; l < settings.layersPerManifest; l += 1) {
      const layer = randomBytes(512);
      const digest = await writeBlob(root, layer);
      await link(root, repository, '_layers', digest);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size: layer.length });
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: Buffer.byteLength(config) },
      layers,
    });
    const manifestDigest = await writeBlob(root, manifest);
    blobs += 2 + settings.layersPerManifest;
    await put(join(root, V2, 'repositories', repository, '_manifests/revisions/sha256', manifestDigest.slice(7), 'link'), manifestDigest);
    // Alternate per round over the repositories, so every repository has tags (distribution 2.8 fails on one without).
    if (Math.floor(m / REPOSITORIES) % 2 === 0) {
      const tag = `t${m}`;
      await put(join(root, V2, 'repositories', repository, '_manifests/tags', tag, 'current/link'), manifestDigest);
      await put(join(root, V2, 'repositories', repository, '_manifests/tags', tag, 'index/sha256', manifestDigest.slice(7), 'link'), manifestDigest);
      if (pulls.length < 200) pulls.push([repository, tag, configDigest]);
    }
  }
  // Everything a day old: no grace period protects any of it.
  const dayAgo = new Date(Date.now() - 86_400_000);
  const age = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await age(child);
      else await utimes(child, dayAgo, dayAgo);
    }
  };
  await age(root);
  return { root, blobs, pulls };
}

async function blobSet(root: string): Promise<Set<string>> {
  const found = new Set<string>();
  const base = join(root, V2, 'blobs/sha256');
  for (const prefix of await readdir(base)) for (const hex of await readdir(join(base, prefix))) found.add(hex);
  return found;
}

/** Runs a command to its end; wall seconds and the peak RSS of the process (sampled every 20 ms). */
async function runMeasured(command: string, args: string[]): Promise<{ seconds: number; peakMB: number; output: string }> {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let peak = 0;
  const timer = setInterval(() => {
    try {
      if (child.pid !== undefined) peak = Math.max(peak, residentBytes(child.pid));
    } catch {
      // exited between samples
    }
  }, 20);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${output.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, peakMB: peak / MB, output };
}

/** Pull latencies (manifest by tag, then its config blob) from PULL_CLIENTS loops until `until` resolves. */
async function pullLatencies(baseUrl: string, pulls: readonly [string, string, string][], until: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  void until.finally(() => (done = true));
  const loop = async (offset: number): Promise<void> => {
    for (let i = offset; !done; i += PULL_CLIENTS) {
      const [repository, tag, config] = pulls[i % pulls.length] as [string, string, string];
      const started = performance.now();
      const manifest = await fetch(`${baseUrl}/v2/${repository}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      await manifest.arrayBuffer();
      const blob = await fetch(`${baseUrl}/v2/${repository}/blobs/${config}`);
      await blob.arrayBuffer();
      if (manifest.status !== 200 || blob.status !== 200) throw new Error(`pull of ${repository}:${tag} during gc: ${manifest.status}/${blob.status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: PULL_CLIENTS }, (_, i) => loop(i)));
  return latencies;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function sample(runs: number[], summarize: (values: number[]) => number = median): Sample {
  return { value: summarize(runs), runs };
}

export async function measureGc(settings: GcSettings): Promise<Figure[]> {
  progress(`gc: writing a store of ${settings.manifests} manifests × (config + ${settings.layersPerManifest} layers) in ${REPOSITORIES} repositories`);
  const template = await buildTemplate(settings.dir, settings);
  const wall: Record<RegistryKind, number[]> = { ours: [], reference: [] };
  const rss: Record<RegistryKind, number[]> = { ours: [], reference: [] };
  const idleP50: number[] = [];
  const idleP99: number[] = [];
  const sweepP50: number[] = [];
  const sweepP99: number[] = [];
  const remaining: Record<RegistryKind, Set<string> | undefined> = { ours: undefined, reference: undefined };
  for (let run = 0; run < settings.runs; run += 1) {
    for (const kind of run % 2 === 0 ? (['ours', 'reference'] as const) : (['reference', 'ours'] as const)) {
      const dir = join(settings.dir, `gc-${kind}-${run}`);
      await mkdir(dir, { recursive: true });
      await cp(template.root, join(dir, 'data'), { recursive: true, preserveTimestamps: true });
      if (kind === 'reference') {
        const config = join(dir, 'gc.yml');
        await writeFile(config, JSON.stringify({ version: '0.1', log: { level: 'error' }, storage: { filesystem: { rootdirectory: join(dir, 'data') } } }));
        const result = await runMeasured('docker-registry', ['garbage-collect', '--delete-untagged', config]);
        wall.reference.push(result.seconds);
        rss.reference.push(result.peakMB);
      } else {
        const registry = await RegistryProcess.start('ours', settings.implementations.ours, dir);
        try {
          const idle = await pullLatencies(registry.baseUrl, template.pulls, sleep(3000));
          idleP50.push(percentile(idle, 50));
          idleP99.push(percentile(idle, 99));
          const gc = runMeasured(process.execPath, [OUR_CLI, 'gc', '--config', join(dir, 'config.yml'), '--delete-untagged', '--grace-period', '0s']);
          const during = await pullLatencies(registry.baseUrl, template.pulls, gc.catch(() => undefined));
          const result = await gc;
          wall.ours.push(result.seconds);
          rss.ours.push(result.peakMB);
          sweepP50.push(percentile(during, 50));
          sweepP99.push(percentile(during, 99));
        } finally {
          await registry.stop();
        }
      }
      remaining[kind] ??= await blobSet(join(dir, 'data'));
      progress(`gc run ${run + 1} ${kind}: ${wall[kind].at(-1)?.toFixed(2)} s, peak ${rss[kind].at(-1)?.toFixed(0)} MB`);
      await rm(dir, { recursive: true, force: true });
    }
  }
  const same = remaining.ours !== undefined && remaining.reference !== undefined && remaining.ours.size === remaining.reference.size && [...remaining.ours].every((d) => remaining.reference?.has(d));
  const note = `${template.blobs} blobs before; ${remaining.ours?.size ?? '?'} left by ours, ${remaining.reference?.size ?? '?'} by the reference (${same ? 'the same blobs' : 'DIFFERENT blob sets'})`;
  await rm(template.root, { recursive: true, force: true });
  return [
    { id: 'gc.wall', label: `GC wall time, ${template.blobs} blobs / ${settings.manifests} manifests (ours online while serving pulls, reference offline)`, unit: 's', better: 'lower', ours: sample(wall.ours), reference: sample(wall.reference), note },
    { id: 'gc.rss', label: 'GC peak RSS of the collector process', unit: 'MB', better: 'lower', ours: sample(rss.ours, (v) => Math.max(...v)), reference: sample(rss.reference, (v) => Math.max(...v)) },
    { id: 'gc.pull.p50.idle', label: `pull latency p50 (manifest + config blob, ${PULL_CLIENTS} clients), no GC`, unit: 'ms', better: 'lower', ours: sample(idleP50), reference: undefined },
    { id: 'gc.pull.p50.sweep', label: 'pull latency p50 during our GC', unit: 'ms', better: 'lower', ours: sample(sweepP50), reference: undefined },
    { id: 'gc.pull.p99.idle', label: 'pull latency p99, no GC', unit: 'ms', better: 'lower', ours: sample(idleP99), reference: undefined },
    { id: 'gc.pull.p99.sweep', label: 'pull latency p99 during our GC', unit: 'ms', better: 'lower', ours: sample(sweepP99), reference: undefined },
  ];
}
