// Many clients at once: 64 clients for a fixed time, three in four pulling blobs of 1–64 MiB (a random one of a
// preloaded set each time) and one in four pushing new blobs of 1–16 MiB (POST + PUT), against each registry in
// turn. Figures: total MB/s moved (both directions), p50 and p99 request latency, errors (which must be 0) and
// the server's peak RSS.
import { measurePair, PerRun, progress, type Figure, type Side } from './figures.js';
import { withPeakRss } from './rss-sampler.js';
import { MB, MiB } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface MixedSettings {
  /** The random file blobs are cut from (at least 64 MiB). */
  file: string;
  fileBytes: number;
  clients: number;
  seconds: number;
  runs: number;
}

const REPOSITORY = 'bench/mixed';
/** Preloaded blobs to pull: sizes spread evenly on a log scale over 1–64 MiB. */
const PULL_SET = 16;
/** Pushed blob sizes: 1, 2, 4, 8 or 16 MiB. */
const PUSH_SIZES = [1, 2, 4, 8, 16].map((n) => n * MiB);

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunResult {
  bytes: number;
  latencies: number[];
  errors: number;
  firstError?: string;
}

/** `clients` loops for `seconds`: every fourth client pushes fresh blobs from `pushes`, the others pull. */
async function mixedRun(side: Side, pulls: readonly TestBlob[], pushes: TestBlob[], settings: MixedSettings): Promise<RunResult> {
  const result: RunResult = { bytes: 0, latencies: [], errors: 0 };
  const deadline = performance.now() + settings.seconds * 1000;
  const loop = async (client: number): Promise<void> => {
    let turn = 0;
    while (performance.now() < deadline) {
      const pushing = client % 4 === 0;
      const blob = pushing ? pushes.pop() : pulls[(client * 7 + turn++ * 13) % pulls.length];
      if (blob === undefined) return; // the push pool ran dry: this client stops pushing
      const started = performance.now();
      try {
        if (pushing) await side.client.pushWhole(REPOSITORY, blob);
        else if ((await side.client.pullBlob(REPOSITORY, blob.digest)) !== blob.size) throw new Error(`GET ${blob.digest}: short body`);
        result.latencies.push(performance.now() - started);
        result.bytes += blob.size;
      } catch (error) {
        result.errors += 1;
        result.firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: settings.clients }, (_, client) => loop(client)));
  return result;
}

/** `variant`: an id prefix and label suffix for another configuration of ours (2 workers). */
export async function measureMixed(sides: readonly Side[], settings: MixedSettings, variant = { id: 'mixed', label: '' }): Promise<Figure[]> {
  const maxPull = Math.min(64 * MiB, settings.fileBytes);
  const pulls: TestBlob[] = [];
  for (let i = 0; i < PULL_SET; i += 1) {
    const size = Math.round(MiB * Math.pow(maxPull / MiB, i / (PULL_SET - 1)));
    pulls.push(await TestBlob.create(settings.file, size));
  }
  for (const side of sides) for (const blob of pulls) await side.client.pushWhole(REPOSITORY, blob);
  progress(`mixed: ${PULL_SET} blobs of 1–${maxPull / MiB} MiB preloaded in each registry`);

  const p50 = new PerRun();
  const p99 = new PerRun();
  const errors = new PerRun();
  const rss = new PerRun();
  const throughput = await measurePair(sides, settings.runs, async (side, run) => {
    // A fresh set of push bodies per run (new digests), hashed before the clock starts: more than 16 clients
    // can push in the time at the fastest rate seen here.
    const pushes: TestBlob[] = [];
    for (let i = 0; i < 32 * settings.seconds; i += 1) pushes.push(await TestBlob.create(settings.file, PUSH_SIZES[i % PUSH_SIZES.length]!));
    const { value, peakMB } = await withPeakRss(side.registry.pid, () => mixedRun(side, pulls, pushes, settings));
    const sorted = [...value.latencies].sort((a, b) => a - b);
    p50.add(side, run, percentile(sorted, 50));
    p99.add(side, run, percentile(sorted, 99));
    errors.add(side, run, value.errors);
    rss.add(side, run, peakMB);
    if (value.errors > 0) progress(`  ${side.kind}: ${value.errors} requests failed, the first: ${value.firstError}`);
    if (pushes.length === 0) progress(`  ${side.kind}: the push pool ran dry before the end of the run`);
    return value.bytes / MB / settings.seconds;
  });
  const label = `${settings.clients} clients for ${settings.seconds} s (¾ pulling 1–${maxPull / MiB} MiB, ¼ pushing 1–16 MiB)${variant.label}`;
  const max = (values: number[]): number => Math.max(...values);
  return [
    { id: `${variant.id}.throughput`, label: `${label}: total`, unit: 'MB/s', better: 'higher', ...throughput },
    { id: `${variant.id}.p50`, label: `${label}: request latency p50`, unit: 'ms', better: 'lower', ...p50.samples(throughput) },
    { id: `${variant.id}.p99`, label: `${label}: request latency p99`, unit: 'ms', better: 'lower', ...p99.samples(throughput) },
    { id: `${variant.id}.errors`, label: `${label}: failed requests (must be 0)`, unit: 'count', better: 'lower', ...errors.samples(throughput, max) },
    { id: `${variant.id}.rss`, label: `${label}: server peak RSS`, unit: 'MB', better: 'lower', ...rss.samples(throughput, max) },
  ];
}
