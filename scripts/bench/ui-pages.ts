// The web UI pages the ui group times, and the checks that each answered what it should (not a login redirect,
// not an error page): the first repositories page, a filter whose few matches sit at the end of the catalog, a
// page from the middle, a repository of many tags by name and by time, and an image index.
import type { UiStore } from './ui-store.js';

export interface UiPage {
  id: string;
  label: string;
  path: string;
  /** Text the page must hold. */
  expect: string;
}

export function uiPages(store: UiStore): UiPage[] {
  const { names } = store;
  const middle = names[Math.floor(names.length / 2)]!;
  const afterMiddle = names[Math.floor(names.length / 2) + 1]!;
  const lastName = names[names.length - 1]!;
  // "team-099/app-09" for 10,000: the repositories of the last namespace numbered 09xxx, a few names at the very
  // end, so that the page walks the whole catalog to find them (and does not fill its 50 rows).
  const filter = lastName.slice(0, -3);
  const matches = names.filter((name) => name.includes(filter)).length;
  const tags = store.tags.toLocaleString('en');
  return [
    { id: 'repositories', label: 'GET /ui/ (first page of 50)', path: '/ui/', expect: names[0]! },
    {
      id: 'filter',
      label: `GET /ui/?q= (${matches} matches, all at the end)`,
      path: `/ui/?q=${encodeURIComponent(filter)}`,
      expect: lastName,
    },
    { id: 'middle', label: 'GET /ui/?last= (a page from the middle)', path: `/ui/?last=${encodeURIComponent(middle)}`, expect: afterMiddle },
    { id: 'tags', label: `GET /ui/r/<repository of ${tags} tags> (100 by name)`, path: `/ui/r/${store.tagged}`, expect: '1.0.0' },
    { id: 'tags-time', label: `GET /ui/r/<repository of ${tags} tags>?sort=time`, path: `/ui/r/${store.tagged}?sort=time`, expect: '1.0.0' },
    { id: 'index', label: 'GET /ui/r/<name>/-/<tag> (image index, 2 platforms)', path: `/ui/r/${store.multiArch}/-/${store.indexTag}`, expect: 'linux/arm64' },
  ];
}

/** Throws unless `page` answered 200 with what it should show. */
export function checkPage(page: UiPage, status: number, text: string): void {
  if (status !== 200) throw new Error(`${page.path}: HTTP ${status}: ${text.slice(0, 200)}`);
  if (!text.includes(page.expect)) throw new Error(`${page.path}: the page does not show "${page.expect}"`);
}
