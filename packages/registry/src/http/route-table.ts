// Which handler serves each endpoint and method; anything else is 405 with the spec's error body.
import type { Endpoint } from './route-match.js';
import type { RequestContext } from './request-context.js';
import { getBlob, deleteBlob } from './handlers/blob-handlers.js';
import { startUpload, getUploadStatus, patchUpload, completeUpload, cancelUpload } from './handlers/upload-handlers.js';
import { getManifest, putManifest, deleteManifest } from './handlers/manifest-handlers.js';
import { getBase, listTags, listCatalog, listReferrers } from './handlers/listing-handlers.js';

export type Handler = (ctx: RequestContext) => Promise<void>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

// HEAD wherever there is a GET: RFC 9110 (which the spec defers to) makes GET and HEAD the two methods every
// server supports; the handlers send the same headers without the body.
export const ROUTES: Record<Endpoint, Partial<Record<Method, Handler>>> = {
  base: { GET: getBase, HEAD: getBase },
  catalog: { GET: listCatalog, HEAD: listCatalog },
  tags: { GET: listTags, HEAD: listTags },
  manifest: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest },
  blob: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob },
  uploadStart: { POST: startUpload },
  upload: { GET: getUploadStatus, HEAD: getUploadStatus, PATCH: patchUpload, PUT: completeUpload, DELETE: cancelUpload },
  referrers: { GET: listReferrers, HEAD: listReferrers },
};

export interface MethodPolicy {
  readOnly: boolean;
  deleteEnabled: boolean;
}

/**
 * The Allow header of a 405 (RFC 9110 requires it): the endpoint's methods, less those the storage policy
 * turns off (writes in read-only mode, DELETE of manifests and blobs while deletes are disabled).
 */
export function allowedMethods(endpoint: Endpoint, policy?: MethodPolicy): string {
  return (Object.keys(ROUTES[endpoint]) as Method[])
    .filter((method) => {
      if (policy === undefined) return true;
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') return !policy.readOnly;
      // Cancelling an upload stays allowed; deleting content needs deletes on and a writable registry.
      if (method === 'DELETE' && (endpoint === 'manifest' || endpoint === 'blob')) return policy.deleteEnabled && !policy.readOnly;
      return true;
    })
    .join(', ');
}
