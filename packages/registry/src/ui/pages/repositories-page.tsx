/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// The repositories the viewer may pull, filtered as they type, a page at a time.
import { DataTable, Layout, Time } from './layout.js';
import { formatBytes, formatCount } from './format.js';
import { RegistryNotices } from './notices.js';
import type { PageContext } from './page-context.js';

export interface RepositoryRow {
  name: string;
  tags?: number;
  size?: number;
  lastPush?: Date;
  /** Set when the summary could not be read. */
  problem?: string;
}

export interface RepositoriesPageProps {
  ctx: PageContext;
  query: string;
  rows: RepositoryRow[];
  /** The cursor of the next page, when there is one. */
  next?: string;
  /** Whether this is not the first page. */
  paged: boolean;
}

export function RepositoriesPage({ ctx, query, rows, next, paged }: RepositoriesPageProps) {
  const { paths } = ctx;
  const status = rows.length === 0 ? (query === '' ? 'No repositories yet.' : `No repository matches “${query}”.`) : `${formatCount(rows.length, 'repository', 'repositories')} shown${next ? ', more on the next page' : ''}.`;
  return (
    <Layout ctx={ctx} title="Repositories" section="repositories">
      <h1>Repositories</h1>
      <RegistryNotices ctx={ctx} />
      <form class="filter" data-live-filter role="search" method="get" action={paths.repositories()}>
        <label for="filter-q">Filter repositories</label>
        <input id="filter-q" type="search" name="q" value={query} autocomplete="off" spellcheck={false} placeholder="part of a name" />
        <button type="submit">Filter</button>
      </form>
      <p id="results-status" role="status">
        {status}
      </p>
      <div id="results">
        {rows.length > 0 ? (
          <DataTable quietCaption caption="Repositories" columns={[{ label: 'Repository' }, { label: 'Tags', num: true }, { label: 'Size', num: true }, { label: 'Last push' }]}>
                {rows.map((row) => (
                  <tr key={row.name}>
                    <th scope="row">
                      <a href={paths.repository(row.name)}>{row.name}</a>
                    </th>
                    <td class="num">{row.tags === undefined ? '—' : row.tags.toLocaleString('en-US')}</td>
                    <td class="num">{row.size === undefined ? '—' : formatBytes(row.size)}</td>
                    <td>{row.problem ? <span class="muted">{row.problem}</span> : <Time date={row.lastPush} />}</td>
                  </tr>
                ))}
              </DataTable>
        ) : null}
        {next || paged ? (
          <nav class="pager" aria-label="Pagination">
            {paged ? <a href={paths.repositories({ q: query })}>First page</a> : null}
            {next ? (
              <a href={paths.repositories({ q: query, last: next })} rel="next">
                Next page
              </a>
            ) : null}
          </nav>
        ) : null}
      </div>
    </Layout>
  );
}
