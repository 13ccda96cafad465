/** @jsxRuntime automatic */
/** @jsxImportSource preact */
// Messages above a page's content: what this registry lets the viewer do, and what just happened.
import type { PageContext } from './page-context.js';

export interface Flash {
  kind: 'ok' | 'info' | 'warn' | 'error';
  text: string;
  /** A link after the text (the status page after a delete). */
  link?: { href: string; text: string };
}

/** An open registry says so, and whether it can delete; a read-only store says that. */
export function RegistryNotices({ ctx }: { ctx: PageContext }) {
  const notes = [];
  if (!ctx.viewer.authOn) {
    const deletes = ctx.deletesPossible
      ? 'Deletes are enabled, so anyone can delete here too.'
      : ctx.readOnly
        ? 'This UI is read-only: the registry is in read-only mode.'
        : 'This UI is read-only: deletes are disabled (storage.delete.enabled).';
    notes.push(
      <p class="notice warn" key="open">
        This registry has no authentication: anyone who can reach it can pull from it. {deletes}
      </p>,
    );
  } else if (ctx.readOnly) {
    notes.push(
      <p class="notice info" key="ro">
        The registry is in read-only mode: nothing can be deleted.
      </p>,
    );
  }
  return <>{notes}</>;
}

export function FlashNotice({ flash }: { flash: Flash | undefined }) {
  if (flash === undefined) return null;
  return (
    <p class={`notice ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'}>
      {flash.text}
      {flash.link ? (
        <>
          {' '}
          <a href={flash.link.href}>{flash.link.text}</a>
        </>
      ) : null}
    </p>
  );
}
