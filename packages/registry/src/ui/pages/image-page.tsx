/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// One manifest or index: how to pull it, each platform with its layers, configuration and history, what refers
// to it (signatures, SBOMs), and the raw manifest.
import { DataTable, DigestText, Layout } from './layout.js';
import { formatBytes, shortDigest } from './format.js';
import { RegistryNotices } from './notices.js';
import type { PageContext } from './page-context.js';
import { ManifestSections, type ManifestDetail } from './manifest-sections.js';

export type { LayerRow, ManifestDetail } from './manifest-sections.js';

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
        <a href={paths.repositories()}>Repositories</a> / <a href={paths.repository(name)}>{name}</a> / <span aria-current="page">{tag ?? shortDigest(digest)}</span>
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
