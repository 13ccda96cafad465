// The n and last query parameters of tags/list and _catalog, and the Link header to the next page.
import { RegistryError } from '../oci/registry-errors.js';

export interface PageQuery {
  n?: number;
  last?: string;
}

export function parsePageQuery(query: URLSearchParams): PageQuery {
  const page: PageQuery = {};
  const n = query.get('n');
  if (n !== null) {
    if (!/^\d+$/.test(n)) {
      throw new RegistryError('PAGINATION_NUMBER_INVALID', 'invalid number of results requested', { detail: { n: n.slice(0, 50) } });
    }
    // Any count is a valid request (the spec sets no ceiling): one past what we can count means "all".
    page.n = Math.min(Number(n), Number.MAX_SAFE_INTEGER);
  }
  const last = query.get('last');
  if (last !== null && last !== '') page.last = last;
  return page;
}

export function nextLink(path: string, n: number, last: string): string {
  const query = new URLSearchParams({ n: String(n), last });
  return `<${path}?${query.toString()}>; rel="next"`;
}
