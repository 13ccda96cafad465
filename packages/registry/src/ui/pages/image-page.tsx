/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// One manifest or index: how to pull it, each platform with its layers, configuration and history, what refers
// to it (signatures, SBOMs), and the raw manifest.
import type { ComponentChildren } from 'preact';
import { DataTable, DigestText, Layout, Time } from './layout.js';
import { formatBytes, parseTime } from './format.js';
import { RegistryNotices } from './notices.js';
import type { PageContext } from './page-context.js';
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

export interface PlatformDetail {
  platform: string;
  digest: string;
  size: number;
  detail: ManifestDetail;
}

export interface ReferrerRow {
  digest: string;
  artifactType: string;
  size: number;
}

export interface ImagePageProps {
  ctx: PageContext;
  name: string;
  /** The tag, or undefined when the page was asked by digest. */
  tag?: string;
  digest: string;
  mediaType: string;
  /** The whole image: manifest + config + layers (an index: every distinct part). */
  size: number;
  /** An index's platforms, each with its manifest. */
  platforms?: PlatformDetail[];
  /** A single manifest. */
  detail?: ManifestDetail;
  subject?: string;
  referrers: ReferrerRow[];
  raw: string;
  /** host[:port] clients pull from. */
  pullHost: string;
  mayDelete: boolean;
}

export function ImagePage(props: ImagePageProps) {
  const { ctx, name, tag, digest, platforms, detail } = props;
  const { paths } = ctx;
  const title = tag === undefined ? `${name}@${digest}` : `${name}:${tag}`;
  const reference = tag ?? digest;
  return (
    <Layout ctx={ctx} title={title} section="repositories">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <a href={paths.repositories()}>Repositories</a> / <a href={paths.repository(name)}>{name}</a> / <span aria-current="page">{tag ?? shortText(digest)}</span>
      </nav>
      <h1 class="image-title">{title}</h1>
      <RegistryNotices ctx={ctx} />
      <dl class="props">
        <dt>Digest</dt>
        <dd>
          <code class="digest">{digest}</code>
        </dd>
        <dt>Media type</dt>
        <dd>
          <code>{props.mediaType}</code>
        </dd>
        <dt>Size</dt>
        <dd>{formatBytes(props.size)}</dd>
        {props.subject ? (
          <>
            <dt>Refers to</dt>
            <dd>
              <a href={paths.image(name, props.subject)}>
                <DigestText digest={props.subject} />
              </a>
            </dd>
          </>
        ) : null}
      </dl>
      {props.mayDelete ? (
        <p class="actions">
          <a class="button danger" href={paths.delete(name, reference)}>
            {tag === undefined ? 'Delete manifest' : `Delete tag ${tag}`}
          </a>
        </p>
      ) : null}
      <section aria-labelledby="pull-heading">
        <h2 id="pull-heading">Pull</h2>
        {tag !== undefined ? <PullCommand id="pull-docker-tag" label="Copy the docker pull command (tag)" text={`docker pull ${props.pullHost}/${name}:${tag}`} /> : null}
        {tag !== undefined ? <PullCommand id="pull-podman-tag" label="Copy the podman pull command (tag)" text={`podman pull ${props.pullHost}/${name}:${tag}`} /> : null}
        <PullCommand id="pull-docker-digest" label="Copy the docker pull command (digest)" text={`docker pull ${props.pullHost}/${name}@${digest}`} />
        <PullCommand id="pull-podman-digest" label="Copy the podman pull command (digest)" text={`podman pull ${props.pullHost}/${name}@${digest}`} />
      </section>
      {platforms !== undefined ? (
        <>
          <section aria-labelledby="platforms-heading">
            <h2 id="platforms-heading">Platforms</h2>
            <DataTable quietCaption caption="Platforms" columns={[{ label: 'Platform' }, { label: 'Digest' }, { label: 'Size', num: true }]}>
                  {platforms.map((p) => (
                    <tr key={p.digest}>
                      <th scope="row">
                        <a href={`#platform-${p.digest.slice(p.digest.indexOf(':') + 1, p.digest.indexOf(':') + 13)}`}>{p.platform}</a>
                      </th>
                      <td>
                        <a href={paths.image(name, p.digest)}>
                          <DigestText digest={p.digest} />
                        </a>
                      </td>
                      <td class="num">{formatBytes(p.size)}</td>
                    </tr>
                  ))}
                </DataTable>
          </section>
          {platforms.map((p) => {
            const id = `platform-${p.digest.slice(p.digest.indexOf(':') + 1, p.digest.indexOf(':') + 13)}`;
            return (
              <section key={p.digest} id={id} aria-labelledby={`${id}-heading`} class="platform">
                <h2 id={`${id}-heading`}>{p.platform}</h2>
                <p class="muted">
                  <DigestText digest={p.digest} /> · {formatBytes(p.size)}
                </p>
                <ManifestSections detail={p.detail} level={3} />
              </section>
            );
          })}
        </>
      ) : null}
      {detail !== undefined ? <ManifestSections detail={detail} level={2} /> : null}
      <section aria-labelledby="referrers-heading">
        <h2 id="referrers-heading">Referrers</h2>
        {props.referrers.length === 0 ? (
          <p>No referrers</p>
        ) : (
          <DataTable quietCaption caption="Referrers" columns={[{ label: 'Artifact type' }, { label: 'Digest' }, { label: 'Size', num: true }]}>
                {props.referrers.map((r) => (
                  <tr key={r.digest}>
                    <td>
                      <span class="badge badge-artifact">{r.artifactType || 'unknown'}</span>
                    </td>
                    <td>
                      <a href={paths.image(name, r.digest)}>
                        <DigestText digest={r.digest} />
                      </a>
                    </td>
                    <td class="num">{formatBytes(r.size)}</td>
                  </tr>
                ))}
              </DataTable>
        )}
      </section>
      <section aria-labelledby="raw-heading">
        <h2 id="raw-heading">Raw manifest</h2>
        <p class="actions">
          <button type="button" class="copy" data-copy="raw-manifest" aria-label="Copy the raw manifest" hidden>
            Copy
          </button>
        </p>
        <pre class="raw" id="raw-manifest" tabindex={0}>
          {props.raw}
        </pre>
      </section>
    </Layout>
  );
}

function PullCommand({ id, label, text }: { id: string; label: string; text: string }) {
  return (
    <div class="pull-command">
      <code id={id}>{text}</code>
      <button type="button" class="copy" data-copy={id} aria-label={label} hidden>
        Copy
      </button>
    </div>
  );
}

function Heading({ level, children }: { level: 2 | 3; children: ComponentChildren }) {
  return level === 2 ? <h2>{children}</h2> : <h3>{children}</h3>;
}

/** Layers, configuration and history of one manifest. */
function ManifestSections({ detail, level }: { detail: ManifestDetail; level: 2 | 3 }) {
  if (detail.problem !== undefined) return <p class="notice warn">{detail.problem}</p>;
  const config = detail.config;
  return (
    <>
      <Heading level={level}>Layers</Heading>
      {detail.layers.length === 0 ? (
        <p>No layers.</p>
      ) : (
        <DataTable quietCaption caption="Layers" region={`Layers of ${shortText(detail.digest)}`} columns={[{ label: '#', num: true }, { label: 'Digest' }, { label: 'Media type' }, { label: 'Size', num: true }]}>
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
    <DataTable quietCaption caption="History" region={`History of ${shortText(digest)}`} className="history" columns={[{ label: 'Created' }, { label: 'Command' }, { label: 'Layer' }]}>
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

function shortText(digest: string): string {
  return digest.slice(0, digest.indexOf(':') + 13);
}
