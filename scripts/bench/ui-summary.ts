// The ui group's own table, one row per page and configuration with every number of it side by side (the
// results table has one figure per row): client and access-log times, cold and warm, bytes, storage calls.
import type { Sample } from './figures.js';
import { totalCalls, type StorageCalls } from './storage-call-counter.js';
import type { UiPage } from './ui-pages.js';

export interface PageResult {
  page: UiPage;
  /** The configuration's label. */
  deployment: string;
  /** Client times (ms): warm median, warm p95, cold; each the median over the runs. */
  warm: Sample | undefined;
  p95: Sample | undefined;
  cold: Sample | undefined;
  /** The access log's `ms` of the same requests. */
  logWarm: Sample | undefined;
  logCold: Sample | undefined;
  bytes: number;
  /** Storage calls of the first and the second request (open registry only). */
  calls?: { cold: StorageCalls; warm: StorageCalls };
}

function ms(sample: Sample | undefined): string {
  return sample === undefined || Number.isNaN(sample.value) ? 'n/a' : sample.value.toFixed(1);
}

function verdict(sample: Sample | undefined, target: number): string {
  if (sample === undefined || Number.isNaN(sample.value)) return 'n/a';
  return sample.value < target ? 'PASS' : 'MISS';
}

export function uiSummaryTable(results: readonly PageResult[], context: { target: number; note: string; seconds: number }): string {
  const rows = [
    `### Web UI: server time in ms (client: request → last byte on a kept-alive loopback connection / access log ms); ${context.note}`,
    '',
    `| page | configuration | cold | warm median | warm p95 | bytes | warm < ${context.target} ms | cold < ${context.target} ms | storage calls cold / warm |`,
    '|---|---|---:|---:|---:|---:|---|---|---:|',
  ];
  for (const r of results) {
    const calls = r.calls === undefined ? '' : `${totalCalls(r.calls.cold).toLocaleString('en')} / ${totalCalls(r.calls.warm).toLocaleString('en')}`;
    rows.push(
      `| ${r.page.label} | ${r.deployment} | ${ms(r.cold)} / ${ms(r.logCold)} | ${ms(r.warm)} / ${ms(r.logWarm)} | ${ms(r.p95)} | ${r.bytes.toLocaleString('en')} | ${verdict(r.warm, context.target)} | ${verdict(r.cold, context.target)} | ${calls} |`,
    );
  }
  rows.push('', `ui group: ${context.seconds.toFixed(0)} s, store fill included.`, '');
  return rows.join('\n');
}
