// The metrics of one registry: GC runs as the collector reports them, the mirror's counters read at scrape
// time, auth refusals by reason, build info and process metrics, each registry in its own prom-client Registry.
import { expect } from 'chai';
import { RegistryMetrics } from '../../src/metrics/registry-metrics.js';
import { MirrorStats } from '../../src/mirror/mirror-stats.js';
import { parseExposition, samplesOf, typeOf, valueOf } from './exposition-text.js';

async function scrape(metrics: RegistryMetrics) {
  const { body, contentType } = await metrics.scrape();
  return { text: body, contentType, samples: parseExposition(body) };
}

describe('registry metrics', () => {
  it('records GC runs: runs by result, deleted objects by kind, freed bytes, duration and the last run times', async () => {
    const metrics = new RegistryMetrics({ version: '1.2.3', processMetrics: false });
    const before = await scrape(metrics);
    // Present from the start, at zero, so rate() and alerts work before the first run.
    expect(valueOf(before.samples, 'registry_gc_runs_total', { result: 'ok' })).to.equal(0);
    expect(samplesOf(before.samples, 'registry_gc_deleted_objects_total').map((s) => s.labels.kind).sort()).to.deep.equal(['blob', 'manifest', 'tag']);

    metrics.recordGcRun({ result: 'ok', blobsDeleted: 3, manifestsDeleted: 2, tagsDeleted: 1, bytesFreed: 4096, durationMs: 1500 });
    const afterOk = Date.now() / 1000;
    metrics.recordGcRun({ result: 'failed', blobsDeleted: 1, manifestsDeleted: 0, tagsDeleted: 0, bytesFreed: 100, durationMs: 20 });
    const { text, samples } = await scrape(metrics);
    expect(valueOf(samples, 'registry_gc_runs_total', { result: 'ok' })).to.equal(1);
    expect(valueOf(samples, 'registry_gc_runs_total', { result: 'failed' })).to.equal(1);
    expect(valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'blob' })).to.equal(4);
    expect(valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'manifest' })).to.equal(2);
    expect(valueOf(samples, 'registry_gc_deleted_objects_total', { kind: 'tag' })).to.equal(1);
    expect(valueOf(samples, 'registry_gc_freed_bytes_total')).to.equal(4196);
    expect(valueOf(samples, 'registry_gc_duration_seconds_count')).to.equal(2);
    expect(valueOf(samples, 'registry_gc_duration_seconds_sum')).to.be.closeTo(1.52, 1e-9);
    expect(valueOf(samples, 'registry_gc_duration_seconds_bucket', { le: '1' })).to.equal(1);
    const lastRun = valueOf(samples, 'registry_gc_last_run_timestamp_seconds');
    const lastSuccess = valueOf(samples, 'registry_gc_last_success_timestamp_seconds');
    expect(lastRun).to.be.at.least(lastSuccess);
    expect(lastSuccess).to.be.closeTo(afterOk, 5);
    expect(typeOf(text, 'registry_gc_runs_total')).to.equal('counter');
    expect(typeOf(text, 'registry_gc_duration_seconds')).to.equal('histogram');
    expect(typeOf(text, 'registry_gc_last_run_timestamp_seconds')).to.equal('gauge');
  });

  it('takes a bad figure from a GC runner as zero instead of throwing', async () => {
    const metrics = new RegistryMetrics({ version: '1', processMetrics: false });
    metrics.recordGcRun({ result: 'ok', blobsDeleted: -1, manifestsDeleted: Number.NaN, tagsDeleted: 0, bytesFreed: -5, durationMs: Number.POSITIVE_INFINITY });
    const { samples } = await scrape(metrics);
    expect(valueOf(samples, 'registry_gc_runs_total', { result: 'ok' })).to.equal(1);
    expect(valueOf(samples, 'registry_gc_deleted_objects_total')).to.equal(0);
    expect(valueOf(samples, 'registry_gc_freed_bytes_total')).to.equal(0);
  });

  it("reads the mirror's counters when scraped", async () => {
    const metrics = new RegistryMetrics({ version: '1', processMetrics: false });
    const stats = new MirrorStats();
    metrics.watchMirror(stats);
    stats.hits += 5;
    stats.misses += 2;
    stats.upstreamBytes += 1234;
    let { samples } = await scrape(metrics);
    expect(valueOf(samples, 'registry_mirror_hits_total')).to.equal(5);
    expect(valueOf(samples, 'registry_mirror_misses_total')).to.equal(2);
    expect(valueOf(samples, 'registry_mirror_upstream_bytes_total')).to.equal(1234);
    expect(valueOf(samples, 'registry_mirror_coalesced_total')).to.equal(0);
    stats.hits += 1;
    ({ samples } = await scrape(metrics));
    expect(valueOf(samples, 'registry_mirror_hits_total')).to.equal(6);
  });

  it('has no mirror metrics on a registry without a mirror', async () => {
    const { samples } = await scrape(new RegistryMetrics({ version: '1', processMetrics: false }));
    expect(samples.filter((s) => s.name.startsWith('registry_mirror_'))).to.deep.equal([]);
  });

  it('counts auth refusals by reason, every reason present from the start', async () => {
    const metrics = new RegistryMetrics({ version: '1', processMetrics: false });
    metrics.authFailed('denied');
    metrics.authFailed('denied');
    metrics.authFailed('rate_limited');
    const { samples } = await scrape(metrics);
    expect(Object.fromEntries(samplesOf(samples, 'registry_auth_failures_total').map((s) => [s.labels.reason, s.value]))).to.deep.equal({
      unauthenticated: 0,
      invalid_credentials: 0,
      invalid_token: 0,
      insufficient_scope: 0,
      denied: 2,
      rate_limited: 1,
    });
  });

  it('serves the text format with build info and process metrics, each registry on its own', async () => {
    const one = new RegistryMetrics({ version: '9.8.7' });
    const two = new RegistryMetrics({ version: '0.0.1' });
    one.recordGcRun({ result: 'ok', blobsDeleted: 1, manifestsDeleted: 0, tagsDeleted: 0, bytesFreed: 1, durationMs: 1 });
    const first = await scrape(one);
    const second = await scrape(two);
    expect(first.contentType).to.match(/^text\/plain; version=0\.0\.4/);
    expect(samplesOf(first.samples, 'registry_build_info')).to.deep.equal([{ name: 'registry_build_info', labels: { version: '9.8.7' }, value: 1 }]);
    expect(samplesOf(second.samples, 'registry_build_info')[0]?.labels).to.deep.equal({ version: '0.0.1' });
    expect(valueOf(second.samples, 'registry_gc_runs_total', { result: 'ok' })).to.equal(0);
    expect(valueOf(first.samples, 'process_resident_memory_bytes')).to.be.greaterThan(0);
    expect(samplesOf(first.samples, 'nodejs_eventloop_lag_seconds')).to.have.length(1);
  });
});
