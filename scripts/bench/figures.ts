// What a measure produces: one figure per row of the table, ours and the reference side by side,
// each the median (or, for memory, the peak) of several runs after a warm-up.
import { cpuSnapshot, otherCpuShare, waitForQuiet } from './cpu-accounting.js';
import { median } from './statistics.js';
import type { RegistryClient } from './registry-client.js';
import type { RegistryKind, RegistryProcess } from './registry-process.js';

export type Unit = 'MB/s' | 'req/s' | 'MB' | 's' | 'ms' | 's/GiB' | 'count';

export type Target =
  | { kind: 'ratio-at-least'; ratio: number; label: string }
  /** For figures where lower is better (latency): ours/reference at most this. */
  | { kind: 'ratio-at-most'; ratio: number; label: string }
  | { kind: 'ours-below'; value: number; label: string };

export interface Sample {
  /** The reported value: median of the runs, or their maximum for memory peaks. */
  value: number;
  runs: number[];
  warmup?: number;
  /** Per measured run: share of the machine's CPU (0..1) taken by processes outside the bench. */
  otherCpu?: number[];
  error?: string;
  note?: string;
}

export interface Figure {
  id: string;
  label: string;
  unit: Unit;
  better: 'higher' | 'lower';
  ours: Sample | undefined;
  reference: Sample | undefined;
  target?: Target;
  note?: string;
}

export interface Limit {
  id: string;
  label: string;
  unit: Unit;
  value: number;
  runs: number[];
}

/** One registry under test, with the client that talks to it. */
export interface Side {
  kind: RegistryKind;
  registry: RegistryProcess;
  client: RegistryClient;
}

export type RunLabel = 'warmup' | number;

/** Idle enough to start a run: the whole machine under this share busy. */
const QUIET_SHARE = 0.15;
/** A run during which other processes took more than this share of the CPU is repeated... */
const DISTURBED_SHARE = 0.1;
/** ...up to this many attempts in all. */
const MAX_ATTEMPTS = 3;

/** Before each run, wait up to this long for the machine to go quiet (0: neither wait nor repeat). */
let quietWaitMs = 20_000;
export function setQuietWait(ms: number): void {
  quietWaitMs = ms;
}

/**
 * Measures one figure on both sides: a warm-up each, then `runs` runs alternating which side goes first.
 * `alsoBench`: pids of long-lived processes outside the sides that work for the bench (a mirror's upstream),
 * so their CPU is not counted as other work. Children started and stopped inside `once` need nothing.
 */
export async function measurePair(
  sides: readonly Side[],
  runs: number,
  once: (side: Side, run: RunLabel) => Promise<number>,
  summarize: (values: number[]) => number = median,
  alsoBench: readonly number[] = [],
): Promise<Record<RegistryKind, Sample | undefined>> {
  const collected = new Map<RegistryKind, { runs: number[]; otherCpu: number[]; warmup?: number; error?: string }>();
  for (const side of sides) collected.set(side.kind, { runs: [], otherCpu: [] });
  const pids = [...sides.map((side) => side.registry.pid), ...alsoBench];
  const attempt = async (side: Side, run: RunLabel): Promise<void> => {
    const entry = collected.get(side.kind)!;
    if (entry.error !== undefined) return;
    try {
      let value: number;
      let other: number;
      for (let tries = 1; ; tries++) {
        if (quietWaitMs > 0) {
          const busy = await waitForQuiet(pids, QUIET_SHARE, quietWaitMs);
          if (busy >= QUIET_SHARE) progress(`  machine still ${Math.round(busy * 100)}% busy with other work; running anyway`);
        }
        const before = cpuSnapshot(pids);
        value = await once(side, run);
        other = otherCpuShare(before, cpuSnapshot(pids));
        if (run === 'warmup' || quietWaitMs === 0 || other <= DISTURBED_SHARE || tries >= MAX_ATTEMPTS) break;
        progress(`  ${side.kind} run ${run}: other processes took ${Math.round(other * 100)}% of the CPU; repeating it`);
      }
      if (run === 'warmup') entry.warmup = value;
      else {
        entry.runs.push(value);
        entry.otherCpu.push(other);
      }
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      console.error(`  ! ${side.kind}: ${entry.error}`);
    }
  };
  for (const side of sides) await attempt(side, 'warmup');
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) await attempt(side, run);
  }
  const result: Record<RegistryKind, Sample | undefined> = { ours: undefined, reference: undefined };
  for (const [kind, entry] of collected) {
    const sample: Sample = { value: entry.runs.length > 0 ? summarize(entry.runs) : Number.NaN, runs: entry.runs, otherCpu: entry.otherCpu };
    if (entry.warmup !== undefined) sample.warmup = entry.warmup;
    if (entry.error !== undefined) sample.error = entry.error;
    result[kind] = sample;
  }
  return result;
}

export function ratio(figure: Figure): number {
  const ours = figure.ours?.value;
  const reference = figure.reference?.value;
  if (ours === undefined || reference === undefined || !Number.isFinite(ours) || !Number.isFinite(reference) || reference === 0) {
    return Number.NaN;
  }
  return ours / reference;
}

/** The largest share of CPU that other processes took during any measured run of this figure. */
export function maxOtherCpu(figure: Figure): number {
  const shares = [...(figure.ours?.otherCpu ?? []), ...(figure.reference?.otherCpu ?? [])];
  return shares.length > 0 ? Math.max(...shares) : Number.NaN;
}

export function verdict(figure: Figure): 'PASS' | 'FAIL' | 'n/a' | undefined {
  const target = figure.target;
  if (!target) return undefined;
  if (target.kind === 'ratio-at-least' || target.kind === 'ratio-at-most') {
    const value = ratio(figure);
    if (Number.isNaN(value)) return 'n/a';
    return (target.kind === 'ratio-at-least' ? value >= target.ratio : value <= target.ratio) ? 'PASS' : 'FAIL';
  }
  const ours = figure.ours?.value;
  return ours === undefined || Number.isNaN(ours) ? 'n/a' : ours < target.value ? 'PASS' : 'FAIL';
}

/**
 * Collects one number per measured run and side beside what measurePair times (peak RSS, CPU seconds). A run that
 * measurePair repeats (other processes disturbed it) replaces its earlier value, as it does for the timed figure.
 */
export class PerRun {
  private readonly values: Record<RegistryKind, Map<number, number>> = { ours: new Map(), reference: new Map() };

  add(side: Side, run: RunLabel, value: number): void {
    if (run !== 'warmup') this.values[side.kind].set(run, value);
  }

  /** The sample of a side that was measured (`measured` holds measurePair's result), summarized. */
  sample(measured: Record<RegistryKind, Sample | undefined>, kind: RegistryKind, summarize: (values: number[]) => number = median): Sample | undefined {
    const values = [...this.values[kind].values()];
    return measured[kind] && values.length > 0 ? { value: summarize(values), runs: values } : undefined;
  }

  samples(measured: Record<RegistryKind, Sample | undefined>, summarize?: (values: number[]) => number): { ours: Sample | undefined; reference: Sample | undefined } {
    return { ours: this.sample(measured, 'ours', summarize), reference: this.sample(measured, 'reference', summarize) };
  }
}

export function progress(message: string): void {
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
