/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// The small pages: login, delete confirmation, and errors.
import { Layout } from './layout.js';
import type { PageContext } from './page-context.js';

export function LoginPage({ ctx, next, error, user, unavailable }: { ctx: PageContext; next: string; error?: string; user?: string; unavailable?: string }) {
  return (
    <Layout ctx={ctx} title="Log in" section="login">
      <h1>Log in</h1>
      {error ? (
        <p class="notice error" role="alert">
          {error}
        </p>
      ) : null}
      {unavailable ? (
        <p class="notice warn">{unavailable}</p>
      ) : (
        <form class="stack" method="post" action={ctx.paths.login()}>
          <input type="hidden" name="_csrf" value={ctx.viewer.csrf} />
          <input type="hidden" name="next" value={next} />
          <label for="username">User name</label>
          <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck={false} required value={user ?? ''} />
          <label for="password">Password or token</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Log in</button>
        </form>
      )}
      <p class="muted">The same accounts as for docker login: an htpasswd user and its password, or a robot's name and its access token.</p>
    </Layout>
  );
}

export function DeletePage({ ctx, name, reference, isTag, digest, otherTags }: { ctx: PageContext; name: string; reference: string; isTag: boolean; digest: string; otherTags: string[] }) {
  const { paths } = ctx;
  const what = isTag ? `tag ${reference}` : `manifest ${reference}`;
  return (
    <Layout ctx={ctx} title={`Delete ${what}`} section="repositories">
      <h1>{isTag ? `Delete tag ${reference}?` : `Delete manifest ${reference.slice(0, reference.indexOf(':') + 13)}?`}</h1>
      {isTag ? (
        <p>
          The tag <strong>{reference}</strong> goes from <strong>{name}</strong>. The manifest it points at (<code class="digest">{digest}</code>) stays, reachable by digest
          {otherTags.length > 0 ? ` and by its other tags (${otherTags.join(', ')})` : ''}, until garbage collection removes what no tag keeps.
        </p>
      ) : (
        <p>
          The manifest <code class="digest">{digest}</code> goes from <strong>{name}</strong>
          {otherTags.length > 0 ? (
            <>
              , and with it the tags that point at it: <strong>{otherTags.join(', ')}</strong>
            </>
          ) : null}
          . Pulls by this digest will fail.
        </p>
      )}
      <p>
        Space is freed by the next garbage collection{ctx.viewer.admin ? <> (see <a href={paths.status()}>the status page</a>)</> : null}.
      </p>
      <form method="post" action={paths.delete(name, reference)} class="actions">
        <input type="hidden" name="_csrf" value={ctx.viewer.csrf} />
        <button type="submit" class="danger">
          Delete
        </button>{' '}
        <a class="button" href={paths.image(name, reference)}>
          Cancel
        </a>
      </form>
    </Layout>
  );
}

export function ErrorPage({ ctx, status, title, message }: { ctx: PageContext; status: number; title: string; message: string }) {
  return (
    <Layout ctx={ctx} title={title}>
      <h1>{title}</h1>
      <p class={`notice ${status >= 500 ? 'error' : 'warn'}`}>{message}</p>
      <p>
        <a href={ctx.paths.repositories()}>Back to the repositories</a>
      </p>
    </Layout>
  );
}
