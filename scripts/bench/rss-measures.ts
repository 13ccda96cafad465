// Memory of a fresh server process: right after start, and its peak during a large (1 GiB) push,
// the figure with a hard target (ours under 150 MB).
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { measurePair, progress, type Figure, type Side } from './figures.js';
import { RegistryClient } from './registry-client.js';
import { RegistryProcess, type RegistryImplementation, type RegistryKind } from './registry-process.js';
import { residentBytes, withPeakRss } from './rss-sampler.js';
import { MB, MiB } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface RssSettings {
  file: string;
  fileBytes: number;
  largeBlobBytes: number;
  runs: number;
  implementations: Record<RegistryKind, RegistryImplementation>;
  dir: string;
}

export async function measureLargePushRss(settings: RssSettings): Promise<Figure[]> {
  const sides: Side[] = [];
  const idle: Record<RegistryKind, number> = { ours: Number.NaN, reference: Number.NaN };
  try {
    for (const kind of ['ours', 'reference'] as const) {
      const dir = join(settings.dir, `rss-${kind}`);
      await mkdir(dir, { recursive: true });
      const registry = await RegistryProcess.start(kind, settings.implementations[kind], dir);
      idle[kind] = residentBytes(registry.pid) / MB;
      sides.push({ kind, registry, client: new RegistryClient(registry.baseUrl) });
    }
    const repeat = Math.max(1, Math.round(settings.largeBlobBytes / settings.fileBytes));
    const size = `${(settings.fileBytes * repeat) / MiB} MiB`;
    progress(`rss: peak during a ${size} POST + PUT push (fresh processes)`);
    const peaks = await measurePair(
      sides,
      settings.runs,
      async (side) => {
        const blob = await TestBlob.create(settings.file, settings.fileBytes, repeat);
        const { peakMB } = await withPeakRss(side.registry.pid, () => side.client.pushWhole('bench/large', blob));
        return peakMB;
      },
      (values) => Math.max(...values),
    );
    return [
      {
        id: 'rss.idle',
        label: 'RSS right after start',
        unit: 'MB',
        better: 'lower',
        ours: { value: idle.ours, runs: [idle.ours] },
        reference: { value: idle.reference, runs: [idle.reference] },
      },
      {
        id: 'rss.push.large',
        label: `peak RSS, ${size} POST + PUT push`,
        unit: 'MB',
        better: 'lower',
        ...peaks,
        target: { kind: 'ours-below', value: 150, label: 'our RSS < 150 MB' },
      },
    ];
  } finally {
    for (const side of sides) {
      await side.registry.stop();
      await rm(side.registry.dataDir, { recursive: true, force: true });
    }
  }
}
