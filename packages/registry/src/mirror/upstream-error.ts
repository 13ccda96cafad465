// What can go wrong talking to an upstream registry, as codes the pull-through layer decides on: serve
// stale content (unreachable, failed, throttled), or pass a definite answer on (not found, denied).
import { CodedError } from '@private-registry/core';

export type UpstreamErrorCode =
  /** Connection refused, DNS, timeout, reset. */
  | 'UPSTREAM_UNREACHABLE'
  /** 5xx, or an answer that makes no sense. */
  | 'UPSTREAM_FAILED'
  /** 429. */
  | 'UPSTREAM_THROTTLED'
  /** 401/403 we could not get past (bad credentials, no token). */
  | 'UPSTREAM_AUTH'
  /** 404. */
  | 'UPSTREAM_NOT_FOUND'
  /** What arrived does not match its digest. */
  | 'UPSTREAM_DIGEST_MISMATCH';

export class UpstreamError extends CodedError {
  declare readonly code: UpstreamErrorCode;
  readonly status: number | undefined;

  constructor(code: UpstreamErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }

  /** The upstream is out of action for now: a cached copy may be served instead. */
  get isOutage(): boolean {
    return this.code === 'UPSTREAM_UNREACHABLE' || this.code === 'UPSTREAM_FAILED' || this.code === 'UPSTREAM_THROTTLED';
  }
}
