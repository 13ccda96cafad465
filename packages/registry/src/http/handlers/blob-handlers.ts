// GET/HEAD/DELETE /v2/<name>/blobs/<digest>: streaming reads with byte ranges, or a redirect.
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { isErrnoError } from '@private-registry/core';
import type { Digest } from '../../oci/digest.js';
import type { SpoolFile } from '../../mirror/spool-file.js';
import { canWriteItself } from '../../storage/storage-driver.js';
import { blobPathDigest } from '../path-references.js';
import { parseRange } from '../range-header.js';
import { sendEmpty, type RequestContext } from '../request-context.js';
import { requireDeleteAllowed } from './write-policy.js';

export async function getBlob(ctx: RequestContext): Promise<void> {
  const digest = blobPathDigest(ctx.reference);
  const size = await sendBlob(ctx, digest);
  // HEAD too, and after a redirect: distribution reports a pull whenever it served the blob.
  ctx.services.notifications?.blobPulled(ctx, { digest, size });
}

/** Answers GET/HEAD of a blob; returns its size when known (a blob still arriving from upstream may not say). */
async function sendBlob(ctx: RequestContext, digest: Digest): Promise<number | undefined> {
  const { blobs } = ctx.services;
  const common = {
    'Docker-Content-Digest': digest.value,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    ETag: `"${digest.value}"`,
    'Cache-Control': 'max-age=31536000',
  };
  const { mirror } = ctx.services;
  const route = mirror === undefined ? undefined : await mirror.route(ctx.name, ctx.query.get('ns') ?? undefined);
  if (mirror !== undefined && route !== undefined) {
    if (ctx.req.method === 'HEAD') {
      const size = await mirror.blobSize(ctx.name, digest, route);
      ctx.res.writeHead(200, { ...common, 'Content-Length': size });
      ctx.res.end();
      return size;
    }
    // A download that finishes between joining it and opening its spool has become the stored blob (the spool
    // renamed into storage): asked again, the mirror links and answers that (or a new download, once more).
    for (let attempt = 0; ; attempt++) {
      const found = await mirror.blob(ctx.name, digest, route, attempt > 0);
      if (found.kind !== 'transfer') break;
      if (await sendFromTransfer(ctx, found.transfer, common, attempt > 0)) return found.transfer.size;
    }
  }
  const descriptor = await blobs.stat(ctx.name, digest);
  if (ctx.req.method === 'HEAD') {
    ctx.res.writeHead(200, { ...common, 'Content-Length': descriptor.size });
    ctx.res.end();
    return descriptor.size;
  }
  const range = parseRange(headerValue(ctx.req.headers.range), descriptor.size);
  const content = await blobs.open(descriptor, range ?? undefined);
  if (content.kind === 'redirect') {
    ctx.res.writeHead(307, { Location: content.url, 'Docker-Content-Digest': digest.value, 'Content-Length': 0 });
    ctx.res.end();
    return descriptor.size;
  }
  if (range) {
    ctx.res.writeHead(206, {
      ...common,
      'Content-Length': range.end - range.start + 1,
      'Content-Range': `bytes ${range.start}-${range.end}/${descriptor.size}`,
    });
  } else {
    ctx.res.writeHead(200, { ...common, 'Content-Length': descriptor.size });
  }
  if (canWriteItself(content.stream)) await content.stream.writeTo(ctx.res);
  else await pipeline(content.stream, ctx.res);
  return descriptor.size;
}

/**
 * A blob still arriving from upstream: served as it comes, ranges included when the size is known. False (nothing
 * sent) when its spool is gone already: the download completed and was moved into storage, or failed; `last`:
 * throw that instead.
 */
async function sendFromTransfer(ctx: RequestContext, transfer: SpoolFile, common: Record<string, string>, last: boolean): Promise<boolean> {
  const size = transfer.size;
  const range = size === undefined ? null : parseRange(headerValue(ctx.req.headers.range), size);
  let reader: Readable;
  try {
    reader = transfer.createReader(range ?? undefined);
  } catch (err) {
    if (!last && isErrnoError(err, 'ENOENT')) return false;
    throw err;
  }
  if (range && size !== undefined) {
    ctx.res.writeHead(206, { ...common, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
  } else {
    ctx.res.writeHead(200, size === undefined ? common : { ...common, 'Content-Length': size });
  }
  await pipeline(reader, ctx.res);
  return true;
}

export async function deleteBlob(ctx: RequestContext): Promise<void> {
  requireDeleteAllowed(ctx);
  const digest = blobPathDigest(ctx.reference);
  await ctx.services.blobs.unlink(ctx.name, digest);
  sendEmpty(ctx, 202, { 'Docker-Content-Digest': digest.value });
  ctx.services.notifications?.blobDeleted(ctx, digest);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
