// The repository catalog: every directory under repositories/ that holds manifests or layers (distribution's
// rule), in lexical order. A page walks only the part of the tree it returns: it seeks to `last` by binary search
// in each directory's sorted listing and stops once it has n names (and knows whether one more follows), so its
// cost grows with n and the depth of the names, not with the number of repositories. The directories next in line
// are listed a few at a time (READ_AHEAD, never past the names the page still needs), so on S3 a page is not n
// round trips one after another. Nothing is kept between requests but the driver's own listing cache
// (filesystem: trusted while the directory's mtime is unchanged), so a repository written by another replica or
// by distribution itself is listed by the next request.
//
// Lexical order is not the order of a depth-first walk: "a-b" sorts between "a" and "a/b" ('-' and '.' sort before
// '/'). So in each directory a child `c` stands for two places in the order: the name `c` itself (when it is a
// repository) and the block of names under it, which all sort after "c/" and before "c0" and are contiguous. The
// walk merges the children's names with those blocks by key.
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';
import { pathFor } from '../storage/path-spec.js';
import { upperBound } from './repository-pages.js';

export interface CatalogPage {
  items: string[];
  /** Whether another accepted name follows the last item. */
  more: boolean;
}

/** A block of names under one child, waiting for its place in the order. */
interface PendingBlock {
  /** `child + "/"`: every name in the block sorts after it. */
  key: string;
  /** The child's storage path. */
  path: string;
  /** The child's name prefix (`parent/child/`). */
  prefix: string;
  /** Within the block, start after this (relative to `prefix`); all of it when undefined. */
  after?: string;
}

/** Listings a walk starts ahead of the child it is at (see listAhead). */
const READ_AHEAD = 8;

/** One walk: its listings (a child is listed once even though it stands for two places in the order). */
interface Walk {
  listings: Map<string, Promise<string[]>>;
  /** How many more names the caller may take: no directory is listed ahead beyond that many. */
  wanted: () => number;
}

export class Catalog {
  constructor(private readonly driver: StorageDriver) {}

  /** Every repository, sorted. */
  async repositories(): Promise<string[]> {
    const all: string[] = [];
    for await (const name of this.names(undefined, () => READ_AHEAD)) all.push(name);
    return all;
  }

  /** Up to `n` repositories sorting after `last`, those `accept` lets through (all when absent). */
  async page(n: number, last?: string, accept?: (name: string) => boolean): Promise<CatalogPage> {
    const items: string[] = [];
    if (n <= 0) return { items, more: false };
    // One name more than the page shows, to know whether another follows.
    for await (const name of this.names(last, () => n + 1 - items.length)) {
      if (accept !== undefined && !accept(name)) continue;
      if (items.length === n) return { items, more: true };
      items.push(name);
    }
    return { items, more: false };
  }

  /** Repository names after `after` (all when undefined), in lexical order; `wanted`: see Walk. */
  private names(after: string | undefined, wanted: () => number): AsyncGenerator<string> {
    return this.under(pathFor({ kind: 'repositoriesRoot' }), '', after, { listings: new Map(), wanted });
  }

  private async *under(dir: string, prefix: string, after: string | undefined, walk: Walk): AsyncGenerator<string> {
    const children = await this.list(dir, walk);
    const base = `${dir}/`;
    const pending: PendingBlock[] = [];
    let next = 0;
    if (after !== undefined) {
      next = upperBound(children, base + after);
      // Children before that point whose block still reaches past `after`: those whose name is a prefix of
      // `after`'s first component ("a" for "a-b": "a/..." sorts after "a-b"), and that component itself when
      // `after` names something inside it.
      const slash = after.indexOf('/');
      const first = slash < 0 ? after : after.slice(0, slash);
      for (let length = 1; length <= first.length; length += 1) {
        const name = first.slice(0, length);
        if (!includes(children, base + name)) continue;
        const block = { key: `${name}/`, path: base + name, prefix: `${prefix}${name}/` };
        if (length === first.length && slash >= 0) insertByKey(pending, { ...block, after: after.slice(slash + 1) });
        else if (block.key > after) insertByKey(pending, block);
      }
    }
    while (next < children.length || pending.length > 0) {
      const path = children[next];
      const name = path?.slice(base.length);
      if (pending.length > 0 && (name === undefined || pending[0]!.key < name)) {
        const block = pending.shift()!;
        yield* this.under(block.path, block.prefix, block.after, walk);
        continue;
      }
      next += 1;
      // Underscore directories (_manifests, _layers, _uploads) hold a repository's data, never repositories.
      if (path === undefined || name === undefined || name.startsWith('_')) continue;
      this.listAhead(children, next, base, walk);
      const entries = (await this.list(path, walk)).map((entry) => entry.slice(path.length + 1));
      if (entries.includes('_manifests') || entries.includes('_layers')) yield prefix + name;
      if (entries.some((entry) => !entry.startsWith('_'))) insertByKey(pending, { key: `${name}/`, path, prefix: `${prefix}${name}/` });
    }
  }

  /**
   * Starts listing the children after `from` without waiting: up to READ_AHEAD of them, and no more than the
   * names the caller still wants (each child is at most one). On S3 each listing is a request, and made one after
   * another a page of n waits for n round trips. A failure surfaces when (if) the walk reaches that child.
   */
  private listAhead(children: readonly string[], from: number, base: string, walk: Walk): void {
    const ahead = Math.min(READ_AHEAD, walk.wanted() - 1);
    for (let i = from; i < Math.min(children.length, from + ahead); i += 1) {
      const child = children[i] as string;
      if (!child.slice(base.length).startsWith('_')) this.list(child, walk).catch(() => undefined);
    }
  }

  /** The sorted child paths of `dir`; none when it is missing (or not a directory, on stores that say so). */
  private list(dir: string, walk: Walk): Promise<string[]> {
    let listing = walk.listings.get(dir);
    if (listing === undefined) {
      listing = this.driver.list(dir).catch((err: unknown) => {
        if (isPathNotFound(err)) return [];
        throw err;
      });
      walk.listings.set(dir, listing);
    }
    return listing;
  }
}

function includes(sorted: readonly string[], value: string): boolean {
  const at = upperBound(sorted, value) - 1;
  return at >= 0 && sorted[at] === value;
}

function insertByKey(pending: PendingBlock[], block: PendingBlock): void {
  let at = pending.length;
  while (at > 0 && pending[at - 1]!.key > block.key) at -= 1;
  pending.splice(at, 0, block);
}
