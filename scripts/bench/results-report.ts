// Prints the results as Markdown tables (readable in a terminal, pasteable into docs/BENCHMARKS.md)
// and writes them as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { maxOtherCpu, ratio, verdict, type Figure, type Limit, type Sample, type Unit } from './figures.js';

export interface BenchResults {
  date: string;
  durationSeconds: number;
  machine: Record<string, string | number>;
  settings: Record<string, string | number | boolean>;
  figures: Figure[];
  limits: Limit[];
  /** Ratios between two of our own figures (e.g. with auth / without); absent in older results. */
  comparisons?: Comparison[];
}

/** A ratio that is not ours/reference: two medians of ours in different configurations. */
export interface Comparison {
  id: string;
  label: string;
  numerator: { label: string; value: number };
  denominator: { label: string; value: number };
  target?: { ratio: number; label: string };
}

function comparisonRatio(comparison: Comparison): number {
  return comparison.denominator.value === 0 ? Number.NaN : comparison.numerator.value / comparison.denominator.value;
}

function comparisonVerdict(comparison: Comparison): 'PASS' | 'FAIL' | 'n/a' {
  const value = comparisonRatio(comparison);
  return Number.isNaN(value) || comparison.target === undefined ? 'n/a' : value >= comparison.target.ratio ? 'PASS' : 'FAIL';
}

export function comparisonTable(comparisons: readonly Comparison[]): string {
  const rows = ['| ratio | of | over | ratio | target |', '|---|---|---|---:|---|'];
  for (const c of comparisons) {
    const r = comparisonRatio(c);
    const target = c.target === undefined ? '' : `≥ ${c.target.ratio}×: ${comparisonVerdict(c)}`;
    rows.push(`| ${c.label} | ${c.numerator.label} | ${c.denominator.label} | ${Number.isNaN(r) ? 'n/a' : `${r.toFixed(2)}×`} | ${target} |`);
  }
  return rows.join('\n');
}

function format(value: number, unit: Unit): string {
  if (Number.isNaN(value)) return 'n/a';
  return unit === 'req/s' || unit === 'count' ? String(Math.round(value)) : unit === 's' || unit === 's/GiB' ? value.toFixed(2) : value.toFixed(1);
}

function cell(sample: Sample | undefined, unit: Unit): string {
  if (!sample) return '–';
  if (sample.error !== undefined && sample.runs.length === 0) return 'error';
  return format(sample.value, unit);
}

function targetCell(figure: Figure): string {
  const target = figure.target;
  if (!target) return '';
  const condition =
    target.kind === 'ratio-at-least' ? `≥ ${target.ratio}×` : target.kind === 'ratio-at-most' ? `≤ ${target.ratio}×` : `ours < ${format(target.value, figure.unit)} ${figure.unit}`;
  return `${condition}: ${verdict(figure)}`;
}

export function figureTable(figures: readonly Figure[]): string {
  const rows = ['| measure | ours | reference | ours/ref | target | other CPU |', '|---|---:|---:|---:|---|---:|'];
  for (const figure of figures) {
    const unit = figure.better === 'lower' ? `${figure.unit}, lower is better` : figure.unit;
    const r = ratio(figure);
    const other = maxOtherCpu(figure);
    rows.push(
      `| ${figure.label} (${unit}) | ${cell(figure.ours, figure.unit)} | ${cell(figure.reference, figure.unit)} | ${Number.isNaN(r) ? 'n/a' : `${r.toFixed(2)}×`} | ${targetCell(figure)} | ${Number.isNaN(other) ? '' : `${Math.round(other * 100)}%`} |`,
    );
  }
  return rows.join('\n');
}

export function limitTable(limits: readonly Limit[]): string {
  const rows = ['| machine limit | MB/s |', '|---|---:|'];
  for (const limit of limits) rows.push(`| ${limit.label} | ${format(limit.value, limit.unit)} |`);
  return rows.join('\n');
}

function problems(figures: readonly Figure[]): string[] {
  const lines: string[] = [];
  for (const figure of figures) {
    for (const [kind, sample] of [['ours', figure.ours], ['reference', figure.reference]] as const) {
      if (sample?.error !== undefined) lines.push(`- ${figure.label}, ${kind}: ${sample.error}`);
      if (sample?.note !== undefined) lines.push(`- ${figure.label}, ${kind}: ${sample.note}`);
    }
    if (figure.note !== undefined) lines.push(`- ${figure.label}: ${figure.note}`);
  }
  return lines;
}

export function report(results: BenchResults): string {
  const comparisons = results.comparisons ?? [];
  const verdicts = [
    ...results.figures.filter((f) => f.target).map((f) => `- ${verdict(f)}  ${f.target!.label}: ${f.label}`),
    ...comparisons.filter((c) => c.target).map((c) => `- ${comparisonVerdict(c)}  ${c.target!.label}: ${c.label}`),
  ];
  const notes = problems(results.figures);
  return [
    `## Results ${results.date} (${Math.round(results.durationSeconds)} s)`,
    '',
    ...(results.figures.length > 0
      ? [
          figureTable(results.figures),
          '',
          'other CPU: the largest share of the machine that processes outside the bench took during one measured run.',
          '',
        ]
      : []),
    ...(comparisons.length > 0 ? [comparisonTable(comparisons), ''] : []),
    ...(results.limits.length > 0 ? [limitTable(results.limits), ''] : []),
    ...(verdicts.length > 0 ? ['Targets:', ...verdicts, ''] : []),
    ...(notes.length > 0 ? ['Notes:', ...notes, ''] : []),
  ].join('\n');
}

export async function writeResults(path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}
