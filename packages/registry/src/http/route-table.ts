// Which handler serves each endpoint and method; anything else is 405 with the spec's error body.
import type { Endpoint } from './route-match.js';
import type { RequestContext } from './request-context.js';
import { getBlob, deleteBlob } from './handlers/blob-handlers.js';
import { startUpload, getUploadStatus, patchUpload, completeUpload, cancelUpload } from './handlers/upload-handlers.js';
import { getManifest, putManifest, deleteManifest } from './handlers/manifest-handlers.js';
import { getBase, listTags, listCatalog, listReferrers } from './handlers/listing-handlers.js';

export type Handler = (ctx: RequestContext) => Promise<void>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const ROUTES: Record<Endpoint, Partial<Record<Method, Handler>>> = {
  base: { GET: getBase, HEAD: getBase },
  catalog: { GET: listCatalog },
  tags: { GET: listTags },
  manifest: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  blob: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
  uploadStart: { POST: startUpload },
  upload: { GET: getUploadStatus, PATCH: patchUpload, PUT: completeUpload, DELETE: cancelUpload },
  referrers: { GET: listReferrers },
};
