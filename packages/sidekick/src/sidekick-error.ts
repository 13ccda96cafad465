// The sidekick's typed errors: a stable code per failure the operator or the announcer loop acts on.

import { CodedError } from '@private-registry/core';

export type SidekickErrorCode =
  /** A flag or environment variable has a bad or missing value; the message names the flag. */
  | 'OPTION_INVALID'
  /** etcd says our lease is gone (expired or revoked): grant a new one. */
  | 'LEASE_LOST'
  /** etcd did not answer or refused the request; retry with backoff. */
  | 'ETCD_UNAVAILABLE';

export class SidekickError extends CodedError {
  declare readonly code: SidekickErrorCode;

  constructor(code: SidekickErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export function optionError(message: string): SidekickError {
  return new SidekickError('OPTION_INVALID', message);
}
