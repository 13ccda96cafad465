/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// One manifest's layers, configuration (entrypoint, cmd, env, ports, labels, user, working dir) and history (the
// command behind each layer, empty layers marked): under its own h2s for an image, under a platform's h3s in an index.
import type { ComponentChildren } from 'preact';
import { DataTable, DigestText, Time } from './layout.js';
import { formatBytes, parseTime, shortDigest } from './format.js';
import type { ImageConfig } from '../image-config.js';

export interface LayerRow {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ManifestDetail {
  digest: string;
  mediaType: string;
  size: number;
  layers: LayerRow[];
  config?: ImageConfig;
  configDigest?: string;
  artifactType?: string;
  /** Why the manifest could not be shown (missing from the store, not parseable). */
  problem?: string;
}

function Heading({ level, children }: { level: 2 | 3; children: ComponentChildren }) {
  return level === 2 ? <h2>{children}</h2> : <h3>{children}</h3>;
}

/** Layers, configuration and history of one manifest. */
export function ManifestSections({ detail, level }: { detail: ManifestDetail; level: 2 | 3 }) {
  if (detail.problem !== undefined) return <p class="notice warn">{detail.problem}</p>;
  const config = detail.config;
  return (
    <>
      <Heading level={level}>Layers</Heading>
      {detail.layers.length === 0 ? (
        <p>No layers.</p>
      ) : (
        <DataTable quietCaption caption="Layers" region={`Layers of ${shortDigest(detail.digest)}`} columns={[{ label: '#', num: true }, { label: 'Digest' }, { label: 'Media type' }, { label: 'Size', num: true }]}>
              {detail.layers.map((layer, i) => (
                <tr key={`${i}-${layer.digest}`}>
                  <td class="num">{i + 1}</td>
                  <td>
                    <DigestText digest={layer.digest} />
                  </td>
                  <td>
                    <code>{layer.mediaType}</code>
                  </td>
                  <td class="num">{formatBytes(layer.size)}</td>
                </tr>
              ))}
            </DataTable>
      )}
      <Heading level={level}>Configuration</Heading>
      {config === undefined ? (
        <p class="muted">{detail.artifactType ? `An artifact (${detail.artifactType}): it has no image configuration.` : 'No image configuration.'}</p>
      ) : (
        <ConfigList config={config} />
      )}
      <Heading level={level}>History</Heading>
      {config === undefined || config.history.length === 0 ? <p class="muted">No history recorded.</p> : <HistoryTable config={config} layers={detail.layers} digest={detail.digest} />}
    </>
  );
}

function ConfigList({ config }: { config: ImageConfig }) {
  const platform = [config.os, config.architecture, config.variant].filter(Boolean).join('/');
  return (
    <dl class="props">
      <dt>Platform</dt>
      <dd>{platform || '—'}</dd>
      <dt>Created</dt>
      <dd>
        <Time date={parseTime(config.created)} />
      </dd>
      <dt>Entrypoint</dt>
      <dd>{commandText(config.entrypoint)}</dd>
      <dt>Cmd</dt>
      <dd>{commandText(config.cmd)}</dd>
      <dt>Env</dt>
      <dd>{listOrDash(config.env)}</dd>
      <dt>Exposed ports</dt>
      <dd>{listOrDash(config.exposedPorts)}</dd>
      <dt>Labels</dt>
      <dd>{config.labels && Object.keys(config.labels).length > 0 ? listOrDash(Object.entries(config.labels).map(([k, v]) => `${k}=${v}`)) : '—'}</dd>
      <dt>User</dt>
      <dd>{config.user ? <code>{config.user}</code> : '—'}</dd>
      <dt>Working dir</dt>
      <dd>{config.workingDir ? <code>{config.workingDir}</code> : '—'}</dd>
      {config.volumes && config.volumes.length > 0 ? (
        <>
          <dt>Volumes</dt>
          <dd>{listOrDash(config.volumes)}</dd>
        </>
      ) : null}
      {config.author ? (
        <>
          <dt>Author</dt>
          <dd>{config.author}</dd>
        </>
      ) : null}
    </dl>
  );
}

function HistoryTable({ config, layers, digest }: { config: ImageConfig; layers: LayerRow[]; digest: string }) {
  let layerIndex = 0;
  return (
    <DataTable quietCaption caption="History" region={`History of ${shortDigest(digest)}`} className="history" columns={[{ label: 'Created' }, { label: 'Command' }, { label: 'Layer' }]}>
          {config.history.map((entry, i) => {
            const layer = entry.emptyLayer ? undefined : layers[layerIndex++];
            return (
              <tr key={i}>
                <td>
                  <Time date={parseTime(entry.created)} />
                </td>
                <td>
                  <code class="command">{entry.createdBy ?? entry.comment ?? ''}</code>
                </td>
                <td>
                  {entry.emptyLayer ? (
                    <span class="badge badge-empty">empty layer</span>
                  ) : layer ? (
                    <span>
                      <DigestText digest={layer.digest} /> <span class="muted">{formatBytes(layer.size)}</span>
                    </span>
                  ) : (
                    '—'
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
  );
}

function commandText(words: string[] | undefined) {
  if (words === undefined || words.length === 0) return '—';
  return <code>{JSON.stringify(words)}</code>;
}

function listOrDash(items: string[] | undefined) {
  if (items === undefined || items.length === 0) return '—';
  return (
    <ul class="plain">
      {items.map((item, i) => (
        <li key={i}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}
