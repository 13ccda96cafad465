// Typed storage errors, stamped with the driver's name. Services map them onto OCI errors.
import { CodedError } from '@private-registry/core';

export class StorageError extends CodedError {
  readonly driver: string;
  readonly path: string;
  constructor(code: string, driver: string, path: string, message: string, options?: { cause?: unknown }) {
    super(code, `${driver}: ${message}`, options);
    this.driver = driver;
    this.path = path;
  }
}

export class PathNotFoundError extends StorageError {
  constructor(driver: string, path: string, options?: { cause?: unknown }) {
    super('PATH_NOT_FOUND', driver, path, `path not found: ${path}`, options);
  }
}

export class InvalidPathError extends StorageError {
  constructor(driver: string, path: string) {
    super('INVALID_PATH', driver, path, `invalid path: ${JSON.stringify(path)}`);
  }
}

export class InvalidOffsetError extends StorageError {
  readonly offset: number;
  constructor(driver: string, path: string, offset: number) {
    super('INVALID_OFFSET', driver, path, `invalid offset ${offset} for ${path}`);
    this.offset = offset;
  }
}

/** A fault of the backend itself (disk full, S3 unreachable): the client gets a 503, not a 4xx. */
export class StorageUnavailableError extends StorageError {
  /**
   * True when the store answered and refused for a reason only the operator can fix (no such bucket,
   * credentials refused): at startup that stops the registry, where an unreachable store does not.
   */
  readonly misconfigured: boolean;
  constructor(driver: string, path: string, message: string, options?: { cause?: unknown; misconfigured?: boolean }) {
    super('STORAGE_UNAVAILABLE', driver, path, message, options);
    this.misconfigured = options?.misconfigured ?? false;
  }
}

export function isPathNotFound(err: unknown): err is PathNotFoundError {
  return err instanceof PathNotFoundError;
}
