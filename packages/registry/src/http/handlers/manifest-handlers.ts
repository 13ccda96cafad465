// GET/HEAD/PUT/DELETE /v2/<name>/manifests/<reference>: byte-exact storage and serving.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { MirroredManifest } from '../../mirror/pull-through.js';
import { MAX_MANIFEST_BYTES } from '../../oci/manifest.js';
import { RegistryError } from '../../oci/registry-errors.js';
import { manifestDeleteReference, manifestReadReference, manifestWriteReference } from '../path-references.js';
import { contentLength, locationFor, mayDo, sendEmpty, type RequestContext } from '../request-context.js';
import { requireDeleteAllowed, requireWritable } from './write-policy.js';
import { declaredMediaType } from '../../notifications/notification-event.js';

function tooLarge(): RegistryError {
  return new RegistryError('MANIFEST_TOO_LARGE', `manifest exceeds ${MAX_MANIFEST_BYTES} bytes`, { status: 413 });
}

/** Reads a manifest body, refusing past the limit without buffering more than it. */
async function readManifestBody(req: IncomingMessage): Promise<Buffer> {
  const declared = contentLength(req);
  if (declared !== undefined && declared > MAX_MANIFEST_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_MANIFEST_BYTES) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

export async function getManifest(ctx: RequestContext): Promise<void> {
  const reference = manifestReadReference(ctx.name, ctx.reference);
  const { mirror } = ctx.services;
  const route = mirror === undefined ? undefined : await mirror.route(ctx.name, ctx.query.get('ns') ?? undefined);
  const manifest = route === undefined || mirror === undefined ? await ctx.services.manifests.get(ctx.name, reference) : await mirror.manifest(ctx.name, reference, route);
  // A cold pull through the mirror: its blobs are fetched ahead (a GET only: a HEAD is a tag check, not a pull).
  if (route !== undefined && mirror !== undefined && ctx.req.method === 'GET' && (manifest as MirroredManifest).fetched === true) {
    mirror.prefetchBlobs(ctx.name, route, manifest, closedSignal(ctx.req.socket));
  }
  const headers: Record<string, string | number> = {
    'Content-Type': manifest.mediaType,
    'Content-Length': manifest.content.length,
    'Docker-Content-Digest': manifest.digest.value,
    ETag: `"${manifest.digest.value}"`,
  };
  // The upstream could not confirm this tag. The spec allows only warn-code 299 with agent "-" (not RFC
  // 7234's 110), and clients show its text to the user.
  if ('stale' in manifest && manifest.stale) headers['Warning'] = '299 - "Response is stale: the upstream registry is unavailable"';
  ctx.res.writeHead(200, headers);
  ctx.res.end(ctx.req.method === 'HEAD' ? undefined : manifest.content);
  // For retention's keeppulledwithin: a HEAD counts (an up-to-date `docker pull` stops at one).
  ctx.services.pulls?.record(ctx.name, manifest.digest);
  // HEAD too: distribution reports a pull for both (the event's request.method tells them apart).
  ctx.services.notifications?.manifestPulled(ctx, manifest, reference.kind === 'tag' ? reference.tag : undefined);
}

export async function putManifest(ctx: RequestContext): Promise<void> {
  requireWritable(ctx);
  const reference = manifestWriteReference(ctx.reference);
  const content = await readManifestBody(ctx.req);
  if (reference.kind === 'tag') await requireOverwriteAllowed(ctx, reference.tag, content);
  const contentType = ctx.req.headers['content-type'];
  const result = await ctx.services.manifests.put(ctx.name, reference, content, contentType);
  // In mirror mode a pushed name is the team's own from now on.
  await ctx.services.mirror?.pushed(ctx.name);
  const headers: Record<string, string> = {
    Location: locationFor(ctx, `/v2/${ctx.name}/manifests/${result.digest.value}`),
    'Docker-Content-Digest': result.digest.value,
  };
  if (result.subject) headers['OCI-Subject'] = result.subject.value;
  sendEmpty(ctx, 201, headers);
  ctx.services.notifications?.manifestPushed(ctx, { digest: result.digest, mediaType: declaredMediaType(content, contentType), content }, reference.kind === 'tag' ? reference.tag : undefined);
}

/**
 * Moving an existing tag to other content needs `overwrite` (without it tags are immutable); creating a tag,
 * or pushing the same manifest again, needs only `push`. The check reads the tag once; two pushes racing
 * to create the same tag may both pass it (as with any check-then-write on object storage).
 */
async function requireOverwriteAllowed(ctx: RequestContext, tag: string, content: Buffer): Promise<void> {
  if (mayDo(ctx, ctx.name, 'overwrite')) return;
  const current = await ctx.services.tags.current(ctx.name, tag);
  if (current === undefined || current.value === `sha256:${createHash('sha256').update(content).digest('hex')}`) return;
  throw new RegistryError('DENIED', `tag ${JSON.stringify(tag)} exists and may not be overwritten`, {
    detail: { repository: ctx.name, tag, current: current.value, action: 'overwrite' },
  });
}

export async function deleteManifest(ctx: RequestContext): Promise<void> {
  await deleteReference(ctx);
  sendEmpty(ctx, 202, {});
}

/** Deletes the tag or manifest `ctx.reference` names in `ctx.name` and tells the notification endpoints (the API and the UI). */
export async function deleteReference(ctx: RequestContext): Promise<void> {
  requireDeleteAllowed(ctx);
  const reference = manifestDeleteReference(ctx.name, ctx.reference);
  const { notifications } = ctx.services;
  if (reference.kind === 'tag') {
    await ctx.services.tags.untag(ctx.name, reference.tag);
    notifications?.tagDeleted(ctx, reference.tag);
  } else {
    await ctx.services.manifests.delete(ctx.name, reference.digest);
    notifications?.manifestDeleted(ctx, reference.digest);
  }
}

/** Aborts when the client's connection closes (attached only for a cold mirror pull, so listeners stay few). */
function closedSignal(socket: Socket): AbortSignal {
  const controller = new AbortController();
  if (socket.destroyed) controller.abort();
  else socket.once('close', () => controller.abort());
  return controller.signal;
}
