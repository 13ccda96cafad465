/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// Registry-wide state for admins: storage, garbage collection, mirror, notifications, discovery, this process.
import { DataTable, Layout, Time } from './layout.js';
import { formatBytes, formatDuration } from './format.js';
import type { PageContext } from './page-context.js';
import type { GcLastRun } from '../../gc/gc-last-run.js';

export interface UpstreamStatus {
  name: string;
  url: string;
  prefix: string;
  /** "answering (200)", "answering (401: needs credentials)", "not answering: …". */
  state: string;
  up: boolean;
  latencyMs?: number;
}

export interface StatusView {
  version: string;
  startedAt: Date;
  uptimeMs: number;
  workers: number;
  storage: { driver: string; where: string; ready: boolean; reason?: string; totalBytes?: number; freeBytes?: number };
  gc: { enabled: boolean; intervalMs: number; lastRun?: GcLastRun };
  mirror?: { upstreams: UpstreamStatus[]; stats: Record<string, number> };
  notifications: { name: string; events: number; successes: number; failures: number; errors: number; pending: number; lost: number }[];
  discovery?: { registries: { id: string; url: string; hostname?: string; version?: string }[]; error?: string };
}

export function StatusPage({ ctx, status }: { ctx: PageContext; status: StatusView }) {
  const { storage, gc, mirror } = status;
  const hitRate = mirror ? rate(mirror.stats['hits'] ?? 0, mirror.stats['misses'] ?? 0) : undefined;
  return (
    <Layout ctx={ctx} title="Status" section="status">
      <h1>Status</h1>
      <div class="grid">
        <section class="card" aria-labelledby="storage-heading">
          <h2 id="storage-heading">Storage</h2>
          <dl class="props">
            <dt>Driver</dt>
            <dd>{storage.driver}</dd>
            <dt>Where</dt>
            <dd>
              <code>{storage.where}</code>
            </dd>
            <dt>State</dt>
            <dd>{storage.ready ? 'answering' : `not answering: ${storage.reason ?? 'unknown'}`}</dd>
            <dt>Used by images</dt>
            <dd>{gc.lastRun?.result === 'ok' ? `${formatBytes(gc.lastRun.summary.bytesStored)} (counted by the last garbage collection)` : 'counted by the next garbage collection'}</dd>
            {storage.totalBytes !== undefined && storage.freeBytes !== undefined ? (
              <>
                <dt>Free</dt>
                <dd>
                  {formatBytes(storage.freeBytes)} of {formatBytes(storage.totalBytes)} ({Math.round((storage.freeBytes / storage.totalBytes) * 100)}%)
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card" aria-labelledby="gc-heading">
          <h2 id="gc-heading">Garbage collection</h2>
          <dl class="props">
            <dt>Online collection</dt>
            <dd>{gc.enabled ? `every ${formatDuration(gc.intervalMs)}` : 'off (storage.gc.enabled); run private-registry gc'}</dd>
            <dt>Last run</dt>
            <dd>{gc.lastRun ? <Time date={new Date(gc.lastRun.finishedAt)} /> : 'none recorded'}</dd>
            {gc.lastRun?.result === 'ok' ? (
              <>
                <dt>Freed</dt>
                <dd>
                  {formatBytes(gc.lastRun.summary.bytesFreed)} ({gc.lastRun.summary.blobsDeleted} blobs, {gc.lastRun.summary.manifestsDeleted} manifests, {gc.lastRun.summary.tagsDeleted} tags)
                </dd>
                <dt>Took</dt>
                <dd>{formatDuration(gc.lastRun.summary.durationMs)}</dd>
              </>
            ) : null}
            {gc.lastRun?.result === 'failed' ? (
              <>
                <dt>Failed</dt>
                <dd>{gc.lastRun.error}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section class="card" aria-labelledby="registry-heading">
          <h2 id="registry-heading">This registry</h2>
          <dl class="props">
            <dt>Version</dt>
            <dd>{status.version}</dd>
            <dt>Started</dt>
            <dd>
              <Time date={status.startedAt} />
            </dd>
            <dt>Uptime</dt>
            <dd>{formatDuration(status.uptimeMs)}</dd>
            <dt>Workers</dt>
            <dd>{status.workers}</dd>
          </dl>
        </section>
      </div>
      <section aria-labelledby="mirror-heading">
        <h2 id="mirror-heading">Mirror</h2>
        {mirror === undefined ? (
          <p>Not a mirror (no proxy upstream configured).</p>
        ) : (
          <>
            <p>
              Cache hit rate {hitRate === undefined ? '— (nothing pulled yet)' : `${hitRate}%`}: {mirror.stats['hits'] ?? 0} hits, {mirror.stats['misses'] ?? 0} misses,{' '}
              {mirror.stats['coalesced'] ?? 0} joined a download, {mirror.stats['staleServed'] ?? 0} served stale; {formatBytes(mirror.stats['upstreamBytes'] ?? 0)} from upstreams
              {status.workers > 1 ? ' (this worker)' : ''}.
            </p>
            <DataTable caption="Upstreams" columns={[{ label: 'Name' }, { label: 'URL' }, { label: 'Prefix' }, { label: 'State' }]}>
                  {mirror.upstreams.map((u) => (
                    <tr key={u.name}>
                      <th scope="row">{u.name}</th>
                      <td>
                        <code>{u.url}</code>
                      </td>
                      <td>{u.prefix === '' ? <span class="muted">(any)</span> : <code>{u.prefix}/</code>}</td>
                      <td>
                        <span class={`badge ${u.up ? 'badge-ok' : 'badge-bad'}`}>{u.up ? 'up' : 'down'}</span> {u.state}
                        {u.latencyMs !== undefined ? ` in ${u.latencyMs} ms` : ''}
                      </td>
                    </tr>
                  ))}
                </DataTable>
          </>
        )}
      </section>
      <section aria-labelledby="notifications-heading">
        <h2 id="notifications-heading">Notifications</h2>
        {status.notifications.length === 0 ? (
          <p>No notification endpoint configured.</p>
        ) : status.workers > 1 ? (
          <>
            <p>
              Endpoints: {status.notifications.map((n) => n.name).join(', ')}. The primary process keeps the queues and delivers (this page comes from one of{' '}
              {status.workers} workers): its figures are in the metrics (<code>registry_notifications_*</code> on <code>http.debug.addr</code>).
            </p>
          </>
        ) : (
          <DataTable caption="Notification endpoints" columns={[{ label: 'Endpoint' }, { label: 'Queued', num: true }, { label: 'Delivered', num: true }, { label: 'Failed attempts', num: true }, { label: 'Lost', num: true }]}>
                {status.notifications.map((n) => (
                  <tr key={n.name}>
                    <th scope="row">{n.name}</th>
                    <td class="num">{n.pending}</td>
                    <td class="num">{n.successes}</td>
                    <td class="num">{n.failures + n.errors}</td>
                    <td class="num">{n.lost}</td>
                  </tr>
                ))}
              </DataTable>
        )}
      </section>
      <section aria-labelledby="discovery-heading">
        <h2 id="discovery-heading">Discovery</h2>
        {status.discovery === undefined ? (
          <p>Not configured (ui.discovery names the etcd the sidekicks announce registries in).</p>
        ) : status.discovery.error !== undefined ? (
          <p class="notice warn">etcd did not answer: {status.discovery.error}</p>
        ) : status.discovery.registries.length === 0 ? (
          <p>No registry is announced.</p>
        ) : (
          <DataTable caption="Announced registries" columns={[{ label: 'Key' }, { label: 'URL' }, { label: 'Host' }, { label: 'Version' }]}>
                {status.discovery.registries.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <code>{r.id}</code>
                    </th>
                    <td>
                      <code>{r.url}</code>
                    </td>
                    <td>{r.hostname ?? '—'}</td>
                    <td>{r.version ?? '—'}</td>
                  </tr>
                ))}
              </DataTable>
        )}
      </section>
    </Layout>
  );
}

function rate(hits: number, misses: number): number | undefined {
  const total = hits + misses;
  return total === 0 ? undefined : Math.round((hits / total) * 1000) / 10;
}
