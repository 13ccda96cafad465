// Push throughput (three upload forms) and the servers' peak RSS while pushing.
import { processCpuSeconds } from './cpu-accounting.js';
import { measurePair, PerRun, progress, type Figure, type RunLabel, type Side, type Sample } from './figures.js';
import type { RegistryKind } from './registry-process.js';
import { withPeakRss } from './rss-sampler.js';
import { GiB, megabytesPerSecond, MiB, timed } from './statistics.js';
import { TestBlob } from './test-blob.js';

export interface PushSettings {
  file: string;
  blobBytes: number;
  chunkBytes: number;
  runs: number;
}

type PushForm = 'whole' | 'chunked' | 'single-post';

function pushOnce(side: Side, form: PushForm, blob: TestBlob, settings: PushSettings): Promise<unknown> {
  const name = `bench/push-${form}`;
  if (form === 'whole') return side.client.pushWhole(name, blob);
  if (form === 'chunked') return side.client.pushChunked(name, blob, settings.chunkBytes);
  return side.client.pushSinglePost(name, blob).then((created) => {
    if (!created) throw new Error('single POST ?digest= answered 202 (body ignored, session opened)');
  });
}

/**
 * Pushes once per run with a fresh digest, timing the push, sampling the server's RSS meanwhile and counting the
 * CPU seconds the server process alone spent (per GiB pushed: the client's share of the cores does not blur it).
 */
async function measureForm(sides: readonly Side[], form: PushForm, settings: PushSettings) {
  const peaks = new PerRun();
  const cpu = new PerRun();
  const throughput = await measurePair(sides, settings.runs, async (side: Side, run: RunLabel) => {
    const blob = await TestBlob.create(settings.file, settings.blobBytes);
    const cpuBefore = processCpuSeconds(side.registry.pid);
    const { value, peakMB } = await withPeakRss(side.registry.pid, () => timed(() => pushOnce(side, form, blob, settings)));
    cpu.add(side, run, (processCpuSeconds(side.registry.pid) - cpuBefore) / (blob.size / GiB));
    peaks.add(side, run, peakMB);
    return megabytesPerSecond(blob.size, value.seconds);
  });
  const max = (values: number[]): number => Math.max(...values);
  return { throughput, rss: peaks.samples(throughput, max), cpu: cpu.samples(throughput) };
}

/** Whether a registry stores a blob sent as one POST ?digest= (distribution 2.8 ignores the body and opens a session). */
async function supportsSinglePost(side: Side, file: string): Promise<boolean> {
  const probe = await TestBlob.create(file, 64 * 1024);
  return side.client.pushSinglePost('bench/probe-single-post', probe);
}

export async function measurePushes(sides: readonly Side[], settings: PushSettings, probeFile: string): Promise<Figure[]> {
  const size = `${settings.blobBytes / MiB} MiB`;
  progress(`push: POST + PUT whole body, ${size}`);
  const whole = await measureForm(sides, 'whole', settings);
  progress(`push: POST + PATCH ${settings.chunkBytes / MiB} MiB chunks + PUT, ${size}`);
  const chunked = await measureForm(sides, 'chunked', settings);

  const singlePostSides: Side[] = [];
  const unsupported: Partial<Record<RegistryKind, Sample>> = {};
  for (const side of sides) {
    if (await supportsSinglePost(side, probeFile)) singlePostSides.push(side);
    else unsupported[side.kind] = { value: Number.NaN, runs: [], note: 'not supported (202: body ignored, session opened)' };
  }
  progress(`push: single POST ?digest= with the body, ${size} (${singlePostSides.map((s) => s.kind).join(', ') || 'nobody'})`);
  const single = singlePostSides.length > 0 ? await measureForm(singlePostSides, 'single-post', settings) : undefined;

  const pushTarget = { kind: 'ratio-at-least', ratio: 2, label: 'push ≥ 2× reference' } as const;
  const cpuTarget = { kind: 'ratio-at-most', ratio: 0.5, label: "push CPU per GiB ≤ 0.5× the reference's" } as const;
  return [
    { id: 'push.whole', label: `push ${size}: POST + PUT whole body`, unit: 'MB/s', better: 'higher', ...whole.throughput, target: pushTarget },
    { id: 'push.chunked', label: `push ${size}: PATCH ${settings.chunkBytes / MiB} MiB chunks`, unit: 'MB/s', better: 'higher', ...chunked.throughput, target: pushTarget },
    {
      id: 'push.single-post',
      label: `push ${size}: one POST ?digest=`,
      unit: 'MB/s',
      better: 'higher',
      ours: single?.throughput.ours ?? unsupported.ours,
      reference: single?.throughput.reference ?? unsupported.reference,
      note: 'OCI monolithic form; distribution 2.8 ignores the body',
    },
    { id: 'cpu.push.whole', label: `server CPU per GiB, ${size} POST + PUT push`, unit: 's/GiB', better: 'lower', ...whole.cpu, target: cpuTarget },
    { id: 'cpu.push.chunked', label: `server CPU per GiB, ${size} chunked push`, unit: 's/GiB', better: 'lower', ...chunked.cpu, target: cpuTarget },
    { id: 'rss.push.whole', label: `peak RSS, ${size} POST + PUT push`, unit: 'MB', better: 'lower', ...whole.rss },
    { id: 'rss.push.chunked', label: `peak RSS, ${size} chunked push`, unit: 'MB', better: 'lower', ...chunked.rss },
  ];
}
