/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// One repository: its tags with digest, size, platforms, created, pushed and last pulled; sorted by name or time.
import { DataTable, DigestText, Layout, Time } from './layout.js';
import { formatBytes, formatCount } from './format.js';
import { FlashNotice, RegistryNotices, type Flash } from './notices.js';
import type { PageContext } from './page-context.js';
import type { ImageSummary } from '../image-summaries.js';

export interface TagRow {
  tag: string;
  digest: string;
  pushed: Date;
  summary?: ImageSummary;
  created?: Date;
  lastPulled?: Date;
}

export type TagSort = 'name' | 'time';

export interface RepositoryPageProps {
  ctx: PageContext;
  name: string;
  rows: TagRow[];
  total: number;
  sort: TagSort;
  page: number;
  pages: number;
  /** The viewer may push new tags but not move existing ones. */
  tagsImmutable: boolean;
  flash?: Flash;
}

export function RepositoryPage({ ctx, name, rows, total, sort, page, pages, tagsImmutable, flash }: RepositoryPageProps) {
  const { paths } = ctx;
  const link = (query: { sort?: TagSort; page?: number }) => paths.repository(name, { sort: (query.sort ?? sort) === 'name' ? undefined : 'time', page: query.page && query.page > 1 ? String(query.page) : undefined });
  return (
    <Layout ctx={ctx} title={name} section="repositories">
      <nav class="breadcrumbs" aria-label="Breadcrumbs">
        <a href={paths.repositories()}>Repositories</a> / <span aria-current="page">{name}</span>
      </nav>
      <h1>{name}</h1>
      <RegistryNotices ctx={ctx} />
      <FlashNotice flash={flash} />
      <p>
        {formatCount(total, 'tag', 'tags')}
        {tagsImmutable ? (
          <>
            {' · '}
            <span class="badge badge-immutable" title="You may push new tags here but not move an existing one (no overwrite right).">
              tags immutable for you
            </span>
          </>
        ) : null}
      </p>
      {total > 0 ? (
        <nav class="sort" aria-label="Sort tags">
          <a href={link({ sort: 'name', page: 1 })} aria-current={sort === 'name' ? 'true' : undefined}>
            Sort by name
          </a>{' '}
          <a href={link({ sort: 'time', page: 1 })} aria-current={sort === 'time' ? 'true' : undefined}>
            Sort by time
          </a>
        </nav>
      ) : null}
      {rows.length > 0 ? (
        <DataTable caption="Tags" columns={[{ label: 'Tag' }, { label: 'Digest' }, { label: 'Size', num: true }, { label: 'Platforms' }, { label: 'Created' }, { label: 'Pushed' }, { label: 'Last pulled' }]}>
              {rows.map((row) => (
                <tr key={row.tag}>
                  <th scope="row">
                    <a href={paths.image(name, row.tag)}>{row.tag}</a>
                    {tagsImmutable ? (
                      <>
                        {' '}
                        <span class="badge badge-immutable">immutable</span>
                      </>
                    ) : null}
                  </th>
                  <td>
                    <DigestText digest={row.digest} />
                  </td>
                  <td class="num">{row.summary ? formatBytes(row.summary.size) : <span class="muted">unreadable</span>}</td>
                  <td>
                    <Platforms summary={row.summary} />
                  </td>
                  <td>
                    <Time date={row.created} />
                  </td>
                  <td>
                    <Time date={row.pushed} />
                  </td>
                  <td>
                    <Time date={row.lastPulled} />
                  </td>
                </tr>
              ))}
            </DataTable>
      ) : (
        <p>No tags. Untagged manifests stay until garbage collection removes them.</p>
      )}
      {pages > 1 ? (
        <nav class="pager" aria-label="Pagination">
          {page > 1 ? (
            <a href={link({ page: page - 1 })} rel="prev">
              Previous page
            </a>
          ) : null}
          <span>
            Page {page} of {pages}
          </span>
          {page < pages ? (
            <a href={link({ page: page + 1 })} rel="next">
              Next page
            </a>
          ) : null}
        </nav>
      ) : null}
    </Layout>
  );
}

/** "linux/amd64", or for an index each platform with its own size. */
export function Platforms({ summary }: { summary: ImageSummary | undefined }) {
  if (summary === undefined) return <span class="muted">—</span>;
  if (summary.kind === 'artifact') return <span class="badge badge-artifact">{summary.artifactType ?? 'artifact'}</span>;
  if (summary.kind === 'image') return <span>{summary.platforms[0]?.platform ?? '—'}</span>;
  return (
    <ul class="platforms">
      {summary.platforms.map((p) => (
        <li key={p.digest}>
          {p.platform} <span class="muted">({formatBytes(p.size)})</span>
        </li>
      ))}
    </ul>
  );
}
