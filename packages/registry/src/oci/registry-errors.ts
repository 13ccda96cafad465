// The OCI error-code catalog: every error a client sees is one of these, with its status and
// the spec's body {"errors":[{code,message,detail}]}.
import { CodedError } from '@private-registry/core';

export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest too large' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type RegistryErrorCode = keyof typeof ERROR_CODES;

export interface RegistryErrorOptions {
  detail?: unknown;
  /** Overrides the catalog status where the spec asks for another (e.g. 416 on a bad chunk). */
  status?: number;
  /** Headers the response must carry (e.g. Range on a 416 for an out-of-order chunk). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RegistryError extends CodedError {
  declare readonly code: RegistryErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(code: RegistryErrorCode, message?: string, options: RegistryErrorOptions = {}) {
    super(code, message ?? ERROR_CODES[code].message, { cause: options.cause });
    this.status = options.status ?? ERROR_CODES[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  toBody(): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
    const entry: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}
