// Blob uploads: POST (session, monolithic, mount), PATCH chunks, PUT to close, GET status, DELETE.
import { parseDigest, tryParseDigest, type Digest } from '../../oci/digest.js';
import { RegistryError } from '../../oci/registry-errors.js';
import { isValidRepositoryName } from '../../oci/repository-name.js';
import { rangeHeader, type UploadState } from '../../services/upload-store.js';
import type { BlobDescriptor } from '../../services/blob-store.js';
import { parseContentRange } from '../range-header.js';
import { contentLength, hasBody, locationFor, mayDo, sendEmpty, type RequestContext } from '../request-context.js';
import { requireWritable } from './write-policy.js';

function uploadPath(state: UploadState): string {
  return `/v2/${state.name}/blobs/uploads/${state.id}`;
}

function sendUploadState(ctx: RequestContext, status: number, state: UploadState): void {
  sendEmpty(ctx, status, {
    Location: locationFor(ctx, uploadPath(state)),
    Range: rangeHeader(state.size),
    'Docker-Upload-UUID': state.id,
  });
}

function sendBlobCreated(ctx: RequestContext, blob: BlobDescriptor): void {
  sendEmpty(ctx, 201, {
    Location: locationFor(ctx, `/v2/${ctx.name}/blobs/${blob.digest.value}`),
    'Docker-Content-Digest': blob.digest.value,
  });
}

export async function startUpload(ctx: RequestContext): Promise<void> {
  requireWritable(ctx);
  const { uploads, blobs } = ctx.services;
  // A mount that cannot be served (malformed digest, bad `from`, blob not there) falls back to an ordinary
  // upload session, as the spec's SHOULD and distribution do: the client then pushes the blob itself.
  const digest = tryParseDigest(ctx.query.get('mount'));
  if (digest) {
    const descriptor = await mountSource(ctx, digest, ctx.query.get('from'));
    if (descriptor) {
      const wasLinked = await blobs.isLinked(ctx.name, digest);
      await blobs.link(ctx.name, digest);
      // A blob a garbage collection is deleting is not mounted (checked after linking, see gc/sweep-intent.ts):
      // the link is taken back and the client uploads the blob instead.
      if ((await ctx.services.sweepGuard.conflicts([digest.value])).length === 0) {
        ctx.req.resume();
        sendBlobCreated(ctx, descriptor);
        ctx.services.notifications?.blobMounted(ctx, descriptor, ctx.query.get('from') ?? undefined);
        return;
      }
      if (!wasLinked) await blobs.unlink(ctx.name, digest).catch(() => undefined);
    }
  }
  const digestParam = ctx.query.get('digest');
  if (digestParam !== null) {
    const length = contentLength(ctx.req);
    const blob = await uploads.uploadWhole(ctx.name, parseDigest(digestParam), ctx.req, length === undefined ? {} : { length });
    sendBlobCreated(ctx, blob);
    ctx.services.notifications?.blobPushed(ctx, blob);
    return;
  }
  ctx.req.resume();
  const state = await uploads.start(ctx.name);
  sendUploadState(ctx, 202, state);
}

/** Most repositories a mount without `from` looks through for one the caller may pull (with auth on). */
const MOUNT_SEARCH_LIMIT = 1000;

/**
 * The blob a mount may link, or null to fall back to an upload. With `from`, the blob must be linked there
 * and the caller must be allowed to pull `from`; without it, the blob may come from anywhere on an open
 * registry, or (with auth) from a repository the caller may pull.
 */
async function mountSource(ctx: RequestContext, digest: Digest, from: string | null): Promise<BlobDescriptor | null> {
  const { blobs } = ctx.services;
  if (from !== null) {
    if (!isValidRepositoryName(from) || !mayDo(ctx, from, 'pull')) return null;
    return (await blobs.isLinked(from, digest)) ? blobs.statGlobal(digest) : null;
  }
  if (ctx.access === undefined) return blobs.statGlobal(digest);
  const descriptor = await blobs.statGlobal(digest);
  if (descriptor === null) return null;
  const { items: readable } = await ctx.services.catalog.page(MOUNT_SEARCH_LIMIT, undefined, (name) => mayDo(ctx, name, 'pull'));
  for (const name of readable) if (await blobs.isLinked(name, digest)) return descriptor;
  return null;
}

export async function getUploadStatus(ctx: RequestContext): Promise<void> {
  const state = await ctx.services.uploads.status(ctx.name, ctx.reference);
  sendUploadState(ctx, 204, state);
}

function chunkOptions(ctx: RequestContext): { start?: number; length?: number } {
  const range = parseContentRange(firstHeader(ctx.req.headers['content-range']));
  const length = contentLength(ctx.req);
  const options: { start?: number; length?: number } = {};
  if (range) options.start = range.start;
  if (length !== undefined) options.length = length;
  if (range && length !== undefined && range.end - range.start + 1 !== length) {
    // distribution's rule: a wrong start is 416, a length that disagrees with the range is 400.
    throw new RegistryError('SIZE_INVALID', 'Content-Range does not match Content-Length', {
      detail: { contentRange: `${range.start}-${range.end}`, contentLength: length },
    });
  }
  return options;
}

export async function patchUpload(ctx: RequestContext): Promise<void> {
  requireWritable(ctx);
  const options = chunkOptions(ctx);
  try {
    const state = await ctx.services.uploads.append(ctx.name, ctx.reference, ctx.req, options);
    sendUploadState(ctx, 202, state);
  } catch (err) {
    // A misplaced chunk tells the client where to resume: the upload's URL with its Range.
    if (err instanceof RegistryError && err.status === 416) {
      err.headers.Location = locationFor(ctx, `/v2/${ctx.name}/blobs/uploads/${ctx.reference}`);
    }
    throw err;
  }
}

export async function completeUpload(ctx: RequestContext): Promise<void> {
  requireWritable(ctx);
  const digest = parseDigest(ctx.query.get('digest'));
  const { uploads } = ctx.services;
  const blob = hasBody(ctx.req)
    ? await uploads.complete(ctx.name, ctx.reference, digest, ctx.req, chunkOptions(ctx))
    : await uploads.complete(ctx.name, ctx.reference, digest);
  sendBlobCreated(ctx, blob);
  ctx.services.notifications?.blobPushed(ctx, blob);
}

export async function cancelUpload(ctx: RequestContext): Promise<void> {
  await ctx.services.uploads.cancel(ctx.name, ctx.reference);
  sendEmpty(ctx, 204, {});
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
