// The typed errors of the host file layer: a stable code per way a host file (or the reload after it) can
// refuse, so the reconciler and the `status` command can tell "fix this file" from "try again".

import { CodedError } from '@private-registry/core';

export type HostFileErrorCode =
  /** A host path that is not absolute (every path is an absolute host path, rooted by HostRoot). */
  | 'PATH_NOT_ABSOLUTE'
  /** A path (or a symlink's target) that leaves the root. */
  | 'PATH_OUTSIDE_ROOT'
  /** daemon.json is not a JSON object, or a key we manage is not a list of strings: changed nothing. */
  | 'INVALID_DAEMON_JSON'
  /** hosts.toml is not valid TOML, or its `host` is not a table: changed nothing. */
  | 'INVALID_HOSTS_TOML'
  /** A WriterRecord handed back that this writer did not produce (corrupt state file). */
  | 'INVALID_RECORD'
  /** A MirrorTarget whose address or url cannot be written safely (whitespace, quotes, wrong scheme). */
  | 'INVALID_TARGET';

export class HostFileError extends CodedError {
  declare readonly code: HostFileErrorCode;

  constructor(code: HostFileErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
