// Blob pull throughput: one client, then several clients at once (their total).
import { processCpuSeconds } from './cpu-accounting.js';
import { measurePair, PerRun, progress, type Figure, type Side } from './figures.js';
import { GiB, megabytesPerSecond, MiB, timed } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface PullSettings {
  file: string;
  blobBytes: number;
  clients: number;
  runs: number;
}

const REPOSITORY = 'bench/pull';

export async function measurePulls(sides: readonly Side[], settings: PullSettings): Promise<Figure[]> {
  const blob = await TestBlob.create(settings.file, settings.blobBytes);
  for (const side of sides) {
    await side.client.pushWhole(REPOSITORY, blob);
    // Checks the body once (and warms the page cache) before anything is timed.
    await side.client.pullBlob(REPOSITORY, blob.digest, true);
  }
  const size = `${settings.blobBytes / MiB} MiB`;
  const pullTarget = { kind: 'ratio-at-least', ratio: 1, label: 'pull ≥ 1× reference' } as const;

  progress(`pull: ${size}, 1 client`);
  // The server's own CPU seconds per GiB sent, beside the throughput.
  const cpu = new PerRun();
  const single = await measurePair(sides, settings.runs, async (side, run) => {
    const cpuBefore = processCpuSeconds(side.registry.pid);
    const { value: bytes, seconds } = await timed(() => side.client.pullBlob(REPOSITORY, blob.digest));
    cpu.add(side, run, (processCpuSeconds(side.registry.pid) - cpuBefore) / (bytes / GiB));
    if (bytes !== blob.size) throw new Error(`pulled ${bytes} bytes, expected ${blob.size}`);
    return megabytesPerSecond(bytes, seconds);
  });

  progress(`pull: ${size}, ${settings.clients} clients at once`);
  const parallel = await measurePair(sides, settings.runs, async (side) => {
    const pulls = Array.from({ length: settings.clients }, () => side.client.pullBlob(REPOSITORY, blob.digest));
    const { value: sizes, seconds } = await timed(() => Promise.all(pulls));
    const bytes = sizes.reduce((sum, n) => sum + n, 0);
    if (bytes !== blob.size * settings.clients) throw new Error(`pulled ${bytes} bytes, expected ${blob.size * settings.clients}`);
    return megabytesPerSecond(bytes, seconds);
  });

  return [
    { id: 'pull.single', label: `pull ${size}, 1 client`, unit: 'MB/s', better: 'higher', ...single, target: pullTarget },
    {
      id: 'cpu.pull.single',
      label: `server CPU per GiB, pull ${size}, 1 client`,
      unit: 's/GiB',
      better: 'lower',
      ...cpu.samples(single),
      target: { kind: 'ratio-at-most', ratio: 0.7, label: "pull CPU per GiB ≤ 0.7× the reference's" },
    },
    {
      id: 'pull.parallel',
      label: `pull ${size}, ${settings.clients} clients (total)`,
      unit: 'MB/s',
      better: 'higher',
      ...parallel,
      target: pullTarget,
    },
  ];
}
