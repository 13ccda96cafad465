/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// The frame of every page: skip link, header with navigation and who is signed in, main, footer.
import type { ComponentChildren } from 'preact';
import type { PageContext } from './page-context.js';

export interface LayoutProps {
  ctx: PageContext;
  title: string;
  /** Which navigation entry is this page. */
  section?: 'repositories' | 'status' | 'login';
  children: ComponentChildren;
}

export function Layout({ ctx, title, section, children }: LayoutProps) {
  const { paths, viewer } = ctx;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · private-registry`}</title>
        {ctx.assets.css ? <link rel="stylesheet" href={ctx.assets.css} /> : null}
        {ctx.assets.js ? <script src={ctx.assets.js} defer /> : null}
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="site-header">
          <a class="brand" href={paths.repositories()}>
            private-registry
          </a>
          <nav class="nav" aria-label="Main">
            <a href={paths.repositories()} aria-current={section === 'repositories' ? 'page' : undefined}>
              Repositories
            </a>
            {viewer.admin ? (
              <a href={paths.status()} aria-current={section === 'status' ? 'page' : undefined}>
                Status
              </a>
            ) : null}
          </nav>
          <UserBox ctx={ctx} section={section} />
        </header>
        <main id="main">{children}</main>
        <footer class="site-footer">
          <span class="muted">private-registry {ctx.version}</span>
        </footer>
      </body>
    </html>
  );
}

function UserBox({ ctx, section }: { ctx: PageContext; section: LayoutProps['section'] }) {
  const { viewer, paths } = ctx;
  if (viewer.name !== undefined) {
    return (
      <div class="user">
        <span>
          Signed in as <strong>{viewer.name}</strong>
        </span>{' '}
        <form method="post" action={paths.logout()} class="inline">
          <input type="hidden" name="_csrf" value={viewer.csrf} />
          <button type="submit">Log out</button>
        </form>
      </div>
    );
  }
  if (viewer.authOn && viewer.canLogIn && section !== 'login') {
    return (
      <div class="user">
        <a href={paths.login(ctx.here)}>Log in</a>
      </div>
    );
  }
  return <div class="user" />;
}

/** A table in its scrolling region (wide tables scroll inside it on a narrow screen, keyboard included). */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" role="region" aria-label={label} tabindex={0}>
      {children}
    </div>
  );
}

/** A time in UTC, shown in the reader's zone by the client script. */
export function Time({ date }: { date: Date | undefined }) {
  if (date === undefined) return <span class="muted">—</span>;
  const iso = date.toISOString();
  return (
    <time class="local" datetime={iso}>
      {`${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`}
    </time>
  );
}

/** A digest shortened for a list, whole in the tooltip. */
export function DigestText({ digest }: { digest: string }) {
  return (
    <code class="digest" title={digest}>
      {digest.slice(0, digest.indexOf(':') + 13)}
    </code>
  );
}

export interface Column {
  label: string;
  /** A number column: right-aligned. */
  num?: boolean;
}

/**
 * A table with its caption and column headers, in its scrolling region; `children` are the body's rows.
 * `quietCaption`: a heading right above already says it, so the caption is for screen readers only.
 */
export function DataTable(props: { caption: string; region?: string; columns: Column[]; className?: string; quietCaption?: boolean; children: ComponentChildren }) {
  const { caption, region, columns, className, quietCaption, children } = props;
  return (
    <TableScroll label={region ?? `${caption} (scrollable)`}>
      <table class={className}>
        <caption class={quietCaption ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th scope="col" key={column.label} class={column.num ? 'num' : undefined}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </TableScroll>
  );
}
