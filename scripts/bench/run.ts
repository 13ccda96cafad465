// `npm run bench`: our registry and the reference (distribution 2.8) side by side on loopback, each
// its own process with filesystem storage (the s3 group: one s3rver bucket); prints ours, reference and ours/reference per measure,
// the machine's limits, and the targets, and writes everything as JSON.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { measureAuth } from './auth-measures.js';
import { measureCatalog } from './catalog-measures.js';
import { measureS3Catalog } from './s3-catalog-measures.js';
import { parseBenchOptions, type BenchOptions } from './bench-options.js';
import { progress, setQuietWait, type Figure, type Limit, type Side } from './figures.js';
import { measureGc } from './gc-measures.js';
import { measureLimits } from './limit-measures.js';
import { measureMixed } from './mixed-measures.js';
import { measureWorkers } from './workers-measures.js';
import { measureMirror } from './mirror-measures.js';
import { measurePulls } from './pull-measures.js';
import { measurePushes } from './push-measures.js';
import { RegistryClient } from './registry-client.js';
import { REPO_ROOT, RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { measureRequests } from './request-measures.js';
import { report, writeResults, type BenchResults, type Comparison } from './results-report.js';
import { measureLargePushRss } from './rss-measures.js';
import { measureS3 } from './s3-measures.js';
import { MiB } from './statistics.js';
import { writeRandomFile } from './test-blob.js';
import { measureUi } from './ui-measures.js';
import { measureUiOnS3 } from './ui-s3-measures.js';

function machine(loadAverageAtStart: string): Record<string, string | number> {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const reference = execFileSync('docker-registry', ['--version'], { encoding: 'utf8' }).trim();
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryMB: Math.round(os.totalmem() / 1e6),
    node: process.version,
    kernel: os.release(),
    reference,
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg().map((n) => n.toFixed(2)).join(' '),
  };
}

/**
 * Repositories in the S3 catalog measure. s3rver answers a LIST by reading its whole directory tree: with 10,000
 * repositories (20,000 objects) it took a whole core for over 10 minutes without finishing the pages.
 */
const S3_CATALOG_SIZE = 2_000;

/** Lets the kernel write back what the pushes left dirty, so it does not land in the next measure. */
function settle(): void {
  execFileSync('sync');
}

async function startSides(options: BenchOptions, implementations: Record<RegistryKind, RegistryImplementation>, dir: string): Promise<Side[]> {
  const sides: Side[] = [];
  for (const kind of ['ours', 'reference'] as const) {
    const nodeArgs = kind === 'ours' && options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    const registry = await RegistryProcess.start(kind, implementations[kind], join(dir, kind), nodeArgs);
    progress(`${kind}: ${implementations[kind]} pid ${registry.pid} at ${registry.baseUrl}`);
    sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
  }
  return sides;
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  const started = Date.now();
  setQuietWait(options.quietWaitSeconds * 1000);
  const loadAverageAtStart = os.loadavg().map((n) => n.toFixed(2)).join(' ');
  const implementations: Record<RegistryKind, RegistryImplementation> = {
    ours: options.ours === 'cli' ? 'private-registry' : 'docker-registry',
    reference: 'docker-registry',
  };
  const temp = await mkdtemp(join(os.tmpdir(), 'private-registry-bench-'));
  const scratch = join(temp, 'scratch');
  await mkdir(scratch);
  const blobFile = join(temp, 'random.bin');
  progress(`temporary directory ${temp}; writing ${options.blobBytes / MiB} MiB of random data`);
  await writeRandomFile(blobFile, options.blobBytes);

  // The load runs of the requests and auth groups: wrk's shape and durations, and where its scripts go.
  const load = {
    threads: options.loadThreads,
    connections: options.loadConnections,
    seconds: options.loadSeconds,
    warmupSeconds: options.loadWarmupSeconds,
    runs: options.runs,
    scratchDir: scratch,
  };
  const figures: Figure[] = [];
  let limits: Limit[] = [];
  const comparisons: Comparison[] = [];
  let sides: Side[] = [];
  try {
    if (options.only.has('limits')) {
      limits = await measureLimits({ file: blobFile, blobBytes: options.blobBytes, runs: options.runs, dir: temp });
    }
    // Push and pull figures carry the servers' CPU per GiB: the cpu group is those runs.
    const pushes = options.only.has('push') || options.only.has('cpu');
    const pulls = options.only.has('pull') || options.only.has('cpu');
    if (pushes || pulls || options.only.has('requests') || options.only.has('mixed')) {
      sides = await startSides(options, implementations, temp);
    }
    if (pushes) {
      const settings = { file: blobFile, blobBytes: options.blobBytes, chunkBytes: options.chunkBytes, runs: options.runs };
      figures.push(...(await measurePushes(sides, settings, blobFile)));
      settle();
    }
    if (pulls) {
      const settings = { file: blobFile, blobBytes: options.blobBytes, clients: options.pullClients, runs: options.runs };
      figures.push(...(await measurePulls(sides, settings)));
      settle();
    }
    if (options.only.has('requests')) {
      figures.push(...(await measureRequests(sides, load)));
    }
    if (options.only.has('mixed')) {
      const settings = { file: blobFile, fileBytes: options.blobBytes, clients: options.mixedClients, seconds: options.mixedSeconds, runs: options.runs };
      figures.push(...(await measureMixed(sides, settings)));
      settle();
      // Ours with 2 workers against the same reference (its store already holds the preloaded blobs).
      const reference = sides.find((side) => side.kind === 'reference');
      if (reference !== undefined) {
        const registry = await RegistryProcess.start('ours', implementations.ours, join(temp, 'ours-2-workers'), [], { workers: 2 });
        try {
          progress(`ours with 2 workers: pid ${registry.pid} at ${registry.baseUrl}`);
          const two: Side = { kind: 'ours', registry, client: new RegistryClient(registry.baseUrl) };
          figures.push(...(await measureMixed([two, reference], settings, { id: 'mixed-2-workers', label: ', ours with 2 workers' })));
        } finally {
          await registry.stop();
        }
        settle();
      }
    }
    for (const side of sides) await side.registry.stop();
    sides = [];
    if (options.only.has('auth')) {
      const settings = {
        ...load,
        dir: temp,
        implementations,
        oursNodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [],
      };
      const auth = await measureAuth(settings);
      figures.push(...auth.figures);
      comparisons.push(...auth.comparisons);
    }
    if (options.only.has('rss')) {
      const settings = {
        file: blobFile,
        fileBytes: options.blobBytes,
        largeBlobBytes: options.largeBlobBytes,
        runs: options.runs,
        implementations,
        dir: temp,
      };
      figures.push(...(await measureLargePushRss(settings)));
      settle();
    }
    if (options.only.has('mirror')) {
      const settings = {
        file: blobFile,
        fileBytes: options.blobBytes,
        imageBytes: options.mirrorImageBytes,
        layers: options.mirrorLayers,
        clients: options.mirrorClients,
        runs: options.runs,
        implementations,
        dir: temp,
      };
      figures.push(...(await measureMirror(settings)));
      settle();
    }
    if (options.only.has('gc')) {
      figures.push(...(await measureGc({ dir: temp, runs: options.runs, manifests: 1000, layersPerManifest: 8, implementations })));
      settle();
    }
    if (options.only.has('catalog')) {
      figures.push(...(await measureCatalog({ dir: temp, runs: options.runs, sizes: options.catalogSizes, tags: 10_000, implementations })));
      figures.push(...(await measureS3Catalog({ dir: temp, runs: options.runs, size: S3_CATALOG_SIZE, implementations })));
    }
    if (options.only.has('ui')) {
      const settings = {
        dir: temp,
        runs: options.runs,
        repositories: options.uiRepositories,
        tags: options.uiTags,
        warmRequests: options.uiWarmRequests,
        implementations,
        oursNodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [],
      };
      figures.push(...(await measureUi(settings)));
      if (implementations.ours === 'private-registry') figures.push(...(await measureUiOnS3(settings)));
    }
    if (options.only.has('workers')) {
      figures.push(...(await measureWorkers({ ...load, file: blobFile, blobBytes: options.blobBytes, chunkBytes: options.chunkBytes, dir: join(temp, 'workers'), implementations })));
      settle();
    }
    if (options.only.has('s3')) {
      const s3 = await measureS3({ file: blobFile, blobBytes: options.blobBytes, runs: options.runs, implementations, dir: temp });
      figures.push(...s3.figures);
      limits = [...limits, ...s3.limits];
      settle();
    }
  } finally {
    for (const side of sides) await side.registry.stop();
    if (!options.keepTemp) await rm(temp, { recursive: true, force: true });
    else progress(`kept ${temp}`);
  }

  const date = new Date().toISOString();
  const results: BenchResults = {
    date,
    durationSeconds: (Date.now() - started) / 1000,
    machine: machine(loadAverageAtStart),
    settings: {
      quick: options.quick,
      ours: implementations.ours,
      blobMiB: options.blobBytes / MiB,
      largeBlobMiB: options.largeBlobBytes / MiB,
      chunkMiB: options.chunkBytes / MiB,
      pullClients: options.pullClients,
      mirrorImageMiB: options.mirrorImageBytes / MiB,
      mirrorLayers: options.mirrorLayers,
      mirrorClients: options.mirrorClients,
      catalogSizes: options.catalogSizes.join(','),
      uiRepositories: options.uiRepositories,
      uiTags: options.uiTags,
      uiWarmRequests: options.uiWarmRequests,
      mixedClients: options.mixedClients,
      mixedSeconds: options.mixedSeconds,
      runs: options.runs,
      loadSeconds: options.loadSeconds,
      loadThreads: options.loadThreads,
      loadConnections: options.loadConnections,
      only: [...options.only].join(','),
      quietWaitSeconds: options.quietWaitSeconds,
    },
    figures,
    limits,
    ...(comparisons.length > 0 ? { comparisons } : {}),
  };
  const jsonPath = options.jsonPath ?? join(REPO_ROOT, 'scripts/bench/results', `bench-${date.replace(/[:.]/g, '-')}.json`);
  await writeResults(jsonPath, results);
  console.log(report(results));
  if (implementations.ours !== 'private-registry') console.log('NOTE: "ours" was a second reference registry (--ours-reference).');
  console.log(`results written to ${jsonPath}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
