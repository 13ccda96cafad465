// Maps what the AWS SDK throws onto the storage errors. Messages carry the operation, the storage
// path, S3's error code, the HTTP status and the attempts made: never a key, a signature or a URL.
import { PathNotFoundError, StorageError, StorageUnavailableError } from '../storage-errors.js';

/** The fields of an SDK error we read (S3ServiceException, or a Node network error the SDK passed on). */
interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number; totalRetryDelay?: number };
}

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'AbortError']);
const REFUSED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'AllAccessDisabled', 'AccountProblem']);

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** S3's error code ("NoSuchKey", "SlowDown") or the network error's code ("ECONNREFUSED"). */
export function s3ErrorCode(err: unknown): string {
  const e = shape(err);
  const code = e.Code ?? (NETWORK.has(e.code ?? '') ? e.code : undefined) ?? e.name ?? e.code;
  return typeof code === 'string' && code !== '' && code !== 'Error' ? code : 'unknown error';
}

export function s3Status(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

/** True when the store does not have the operation at all (s3rver: UploadPartCopy, ListParts, AbortMultipartUpload). */
export function isNotImplemented(err: unknown): boolean {
  const status = s3Status(err);
  const code = s3ErrorCode(err);
  return status === 501 || code === 'NotImplemented' || (status === 405 && code === 'MethodNotAllowed');
}

export function isS3NotFound(err: unknown): boolean {
  return NOT_FOUND.has(s3ErrorCode(err)) || (s3Status(err) === 404 && !['NoSuchBucket', 'NoSuchUpload'].includes(s3ErrorCode(err)));
}

/** A StorageError for a failed S3 call on `path` (`operation` is the S3 call's name, for the operator). */
export function toS3StorageError(driver: string, path: string, operation: string, err: unknown): StorageError {
  if (err instanceof StorageError) return err;
  const cause = sanitizedCause(err);
  if (isS3NotFound(err)) return new PathNotFoundError(driver, path, { cause });
  const code = s3ErrorCode(err);
  const status = s3Status(err);
  const attempts = shape(err).$metadata?.attempts;
  const tries = attempts !== undefined && attempts > 1 ? ` after ${attempts} attempts` : '';
  const answered = status === undefined ? code : `${code} (HTTP ${status})`;
  if (code === 'NoSuchBucket') {
    return new StorageUnavailableError(driver, path, `${operation} ${path}: the bucket does not exist (NoSuchBucket)`, { cause, misconfigured: true });
  }
  if (REFUSED.has(code) || status === 403) {
    return new StorageUnavailableError(driver, path, `${operation} ${path}: S3 refused the request: ${answered}; check the credentials and the bucket's policy`, { cause, misconfigured: true });
  }
  if (code === 'CredentialsProviderError') {
    return new StorageUnavailableError(
      driver,
      path,
      `${operation} ${path}: no S3 credentials found (set storage.s3.accesskey and secretkey, or provide them through the AWS credential chain)`,
      { cause, misconfigured: true },
    );
  }
  if (NETWORK.has(code)) {
    return new StorageUnavailableError(driver, path, `${operation} ${path}: cannot reach S3: ${code}${tries}`, { cause });
  }
  if (status === undefined) {
    // No answer from S3: a failure on the way (TLS, a dropped connection) if the SDK sent the request, else ours.
    if (shape(err).$metadata === undefined) return new StorageError('S3_REQUEST_FAILED', driver, path, `${operation} ${path}: ${code}`, { cause });
    return new StorageUnavailableError(driver, path, `${operation} ${path}: no answer from S3: ${code}${tries}`, { cause });
  }
  if (status >= 500 || status === 429 || code === 'SlowDown' || code === 'Throttling') {
    return new StorageUnavailableError(driver, path, `${operation} ${path}: S3 answered ${answered}${tries}`, { cause });
  }
  return new StorageError('S3_REQUEST_FAILED', driver, path, `${operation} ${path}: S3 answered ${answered}`, { cause });
}

/**
 * The cause kept on a storage error: the code, status and request id only. The SDK's own error may
 * hold the parsed response (an access key id, a string to sign), which must not reach a log.
 */
function sanitizedCause(err: unknown): Error {
  const e = shape(err);
  const requestId = e.$metadata?.requestId;
  const status = s3Status(err);
  const cause = new Error(`${s3ErrorCode(err)}${status === undefined ? '' : ` (HTTP ${status})`}${requestId ? `, request id ${requestId}` : ''}`);
  cause.name = 'S3Error';
  return cause;
}
