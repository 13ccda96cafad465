// Listings: GET /v2/, tags/list, _catalog (with n/last pagination) and the referrers API.
import { isForeignDigest, parseDigest } from '../../oci/digest.js';
import { MediaType } from '../../oci/media-types.js';
import { paginate } from '../../services/repository-pages.js';
import { nextLink, parsePageQuery } from '../pagination-query.js';
import { sendJson, type RequestContext } from '../request-context.js';

export async function getBase(ctx: RequestContext): Promise<void> {
  sendJson(ctx, 200, {});
}

export async function listTags(ctx: RequestContext): Promise<void> {
  const page = parsePageQuery(ctx.query);
  const { mirror } = ctx.services;
  const route = mirror === undefined ? undefined : await mirror.route(ctx.name, ctx.query.get('ns') ?? undefined);
  const tags = mirror !== undefined && route !== undefined ? await mirror.tags(ctx.name, route) : await ctx.services.tags.list(ctx.name);
  const { items, next } = paginate(tags, page.n, page.last);
  const headers: Record<string, string> = {};
  if (next !== undefined && page.n !== undefined) headers.Link = nextLink(`${ctx.urls.prefix ?? ''}/v2/${ctx.name}/tags/list`, page.n, next);
  sendJson(ctx, 200, { name: ctx.name, tags: items }, headers);
}

export async function listCatalog(ctx: RequestContext): Promise<void> {
  const page = parsePageQuery(ctx.query);
  // At most catalog.maxentries names a page, whatever `n` asks for (distribution's rule).
  const max = ctx.services.policy.catalogMaxEntries;
  const n = Math.min(page.n ?? max, max);
  // With auth, a caller sees only the repositories it may pull (pages are cut after filtering).
  const access = ctx.access;
  const accept = access === undefined ? undefined : (name: string) => access.mayList(ctx.principal, name);
  const { items, more } = await ctx.services.catalog.page(n, page.last, accept);
  const headers: Record<string, string> = {};
  if (more) headers.Link = nextLink(`${ctx.urls.prefix ?? ''}/v2/_catalog`, n, items[items.length - 1]!);
  sendJson(ctx, 200, { repositories: items }, headers);
}

export async function listReferrers(ctx: RequestContext): Promise<void> {
  // The referrers API never answers 404: a well-formed digest of an algorithm we cannot hold has no
  // referrers here (an empty index); only a malformed digest is 400.
  if (isForeignDigest(ctx.reference)) {
    sendJson(ctx, 200, { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }, {}, MediaType.OciIndex);
    return;
  }
  const subject = parseDigest(ctx.reference);
  const artifactType = ctx.query.get('artifactType') ?? undefined;
  const answer = await ctx.services.referrers.list(ctx.name, subject, artifactType);
  const headers: Record<string, string> = answer.filtered ? { 'OCI-Filters-Applied': 'artifactType' } : {};
  sendJson(ctx, 200, answer.index, headers, MediaType.OciIndex);
}
