// Command-line options of `npm run bench`: sizes and durations for a full or a quick run, and
// which groups of measures to run.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MiB } from './statistics.js';

export const MEASURE_GROUPS = ['push', 'pull', 'requests', 'auth', 'rss', 'limits', 'mirror', 's3', 'gc', 'catalog', 'cpu', 'mixed', 'workers', 'ui'] as const;
export type MeasureGroup = (typeof MEASURE_GROUPS)[number];

export interface BenchOptions {
  quick: boolean;
  only: ReadonlySet<MeasureGroup>;
  /** Size of the blob for push, pull and the push RSS figures. */
  blobBytes: number;
  /** Size of the blob for the "large push" RSS figure (1 GiB in a full run). */
  largeBlobBytes: number;
  chunkBytes: number;
  pullClients: number;
  /** Measured runs per figure (the median is reported); each measure also has one warm-up. */
  runs: number;
  loadSeconds: number;
  loadWarmupSeconds: number;
  loadThreads: number;
  loadConnections: number;
  /** Mirror group: the image's total size (config + equal layers), its layer count, and how many cold pulls run at once. */
  mirrorImageBytes: number;
  mirrorLayers: number;
  mirrorClients: number;
  /** Catalog group: store sizes in repositories. */
  catalogSizes: number[];
  /** UI group: one-tag repositories in the store, tags of the large repository, and warm requests per run. */
  uiRepositories: number;
  uiTags: number;
  uiWarmRequests: number;
  /** Mixed group: concurrent clients and how long they run. */
  mixedClients: number;
  mixedSeconds: number;
  /** 'cli' runs our registry; 'reference' runs a second reference registry in its place (an A/A check). */
  ours: 'cli' | 'reference';
  jsonPath: string | undefined;
  /** Before each run, wait up to this long for other work on the machine to stop (0: do not wait). */
  quietWaitSeconds: number;
  keepTemp: boolean;
  /** Directory for V8 CPU profiles of our server (node --cpu-prof), one per server process. */
  cpuProfileDir: string | undefined;
}

const USAGE = `usage: node --import tsx scripts/bench/run.ts [options]
  --quick               64 MiB blobs (256 MiB for the large-push RSS), 3 s load runs, 32 MiB mirror image
                        (s3: both registries on one s3rver bucket, redirect disabled; 256 MiB blob, 64 MiB quick)
  --only LIST           comma list of: ${MEASURE_GROUPS.join(', ')} (default: all)
                        mixed: 64 clients for 30 s (10 s with --quick), ¾ pulling 1–64 MiB blobs, ¼ pushing 1–16 MiB
                        cpu: push and pull (the same runs) with the server's CPU seconds per GiB
                        catalog: _catalog pages at 10,000 and 100,000 repositories (10,000 with --quick), tags/list of 10,000 tags
                        workers: manifest GET and blob HEAD rates and server CPU per 10,000 requests, ours with
                        http.workers 1 and 2 and the reference (mixed also runs ours with 2 workers)
                        ui: web UI pages (list, filter, middle page, 1,000 tags by name and time, an index), cold and
                        warm, on 10,000 repositories; ours open and with htpasswd (admin logged in); no reference (it has no UI);
                        then the same pages on s3rver (1,000 repositories), direct and 20 ms away, with S3 requests per page
                        auth: GET manifest by tag, ours open / htpasswd (Basic) / built-in token (Bearer), reference open / htpasswd
  --runs N              measured runs per figure, median reported (default 3)
  --ours-reference      run a second reference registry as "ours" (A/A check of the bench's noise)
  --json PATH           where to write the results (default scripts/bench/results/bench-<time>.json)
  --quiet-wait S        before each run wait up to S seconds for the machine to be idle (default 20; 0 = never)
  --cpu-prof DIR        run our server under node --cpu-prof, profiles written to DIR when it stops
                        (best with --only, e.g. --only requests)
  --keep                keep the temporary directory (configs, data, server logs)
  --help`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      runs: { type: 'string', default: '3' },
      'ours-reference': { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'quiet-wait': { type: 'string', default: '20' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = new Set<MeasureGroup>();
  for (const name of (values.only ?? MEASURE_GROUPS.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(MEASURE_GROUPS as readonly string[]).includes(name)) {
      throw new Error(`--only: unknown measure group "${name}" (known: ${MEASURE_GROUPS.join(', ')})`);
    }
    only.add(name as MeasureGroup);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got "${values.runs}"`);
  const quietWaitSeconds = Number(values['quiet-wait']);
  if (!Number.isFinite(quietWaitSeconds) || quietWaitSeconds < 0) throw new Error(`--quiet-wait: expected seconds, got "${values['quiet-wait']}"`);
  const quick = values.quick;
  return {
    quick,
    only,
    blobBytes: (quick ? 64 : 256) * MiB,
    largeBlobBytes: (quick ? 256 : 1024) * MiB,
    chunkBytes: 16 * MiB,
    pullClients: 8,
    runs,
    loadSeconds: quick ? 3 : 10,
    loadWarmupSeconds: quick ? 1 : 3,
    loadThreads: 2,
    loadConnections: 32,
    mirrorImageBytes: (quick ? 32 : 128) * MiB,
    mirrorLayers: 4,
    mirrorClients: 50,
    catalogSizes: quick ? [10_000] : [10_000, 100_000],
    uiRepositories: 10_000,
    uiTags: 1_000,
    uiWarmRequests: quick ? 10 : 30,
    mixedClients: 64,
    mixedSeconds: quick ? 10 : 30,
    ours: values['ours-reference'] ? 'reference' : 'cli',
    jsonPath: values.json,
    quietWaitSeconds,
    keepTemp: values.keep,
    cpuProfileDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
  };
}
