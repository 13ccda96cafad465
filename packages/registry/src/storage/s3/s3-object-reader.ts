// How the S3 driver streams an object's bytes (blob GETs with redirect disabled, upload read-back): a
// GetObject URL presigned by the AWS SDK, fetched with undici rather than through the SDK.
//
// Why: the SDK sends requests with node:http, whose response parser copies every body chunk into a new
// buffer; with the socket's own 64 KiB read buffers that is two fresh allocations per 64 KiB relayed, and
// glibc hands that memory back to the kernel and faults it in again between garbage collections. A
// 256 MiB relay cost ours 1–2 s of CPU against the reference's 0.2 s (docs/BENCHMARKS.md, "S3"). undici
// parses in a buffer it keeps and hands out slices of the socket's reads: one allocation per read.
//
// The SDK still signs (credentials, session tokens and endpoint rules stay its own) and still makes every
// other call. Failures before the body starts are retried like the SDK retries (maxAttempts, exponential
// backoff with jitter); what fails is thrown shaped like an SDK error, so toS3StorageError names it the
// same way. The URL carries a signature: it never appears in a message.
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Agent, request, type Dispatcher } from 'undici';
import { sleep } from '@private-registry/core';
import type { S3ClientTuning } from './s3-client.js';

/** How long a signed URL stays valid: long enough for a request to start, however slow the retries. */
const URL_EXPIRY_SECONDS = 15 * 60;
/** Backoff between attempts: 100 ms doubling, at most 20 s (the SDK's standard retry strategy). */
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 20_000;
/** An error body is S3's XML of a few hundred bytes; no more is read. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** What toS3StorageError reads off an SDK error. */
export interface S3FailureShape extends Error {
  Code: string;
  $metadata: { httpStatusCode?: number; attempts: number };
}

export class S3ObjectReader {
  readonly #agent: Agent;
  readonly #maxAttempts: number;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    tuning: Required<S3ClientTuning>,
    rejectUnauthorized: boolean,
  ) {
    this.#maxAttempts = tuning.maxAttempts;
    this.#agent = new Agent({
      connections: tuning.maxSockets,
      connect: { timeout: tuning.connectTimeoutMs, rejectUnauthorized },
      // As the SDK's socketTimeout: a silence this long (before the headers, or between body bytes) fails.
      headersTimeout: tuning.idleTimeoutMs,
      bodyTimeout: tuning.idleTimeoutMs,
    });
  }

  /**
   * The bytes of `key` from `start` to `end` (inclusive; to the end when absent) as a stream; 'unsatisfiable'
   * when S3 answers 416 (a range starting at or past the end).
   */
  async get(key: string, range?: { start: number; end?: number }): Promise<Readable | 'unsatisfiable'> {
    const headers = range === undefined ? {} : { range: `bytes=${range.start}-${range.end ?? ''}` };
    for (let attempt = 1; ; attempt++) {
      let failure: S3FailureShape;
      try {
        const url = await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: URL_EXPIRY_SECONDS });
        const response = await request(url, { method: 'GET', headers, dispatcher: this.#agent });
        const { statusCode } = response;
        if (statusCode === 200 || statusCode === 206) {
          if (range !== undefined && range.start > 0 && statusCode === 200) {
            response.body.destroy();
            throw s3Failure('RangeIgnored', 200, attempt, 'the store answered a range request with the whole object');
          }
          return response.body;
        }
        const code = await errorCode(response);
        if (statusCode === 416) return 'unsatisfiable';
        failure = s3Failure(code ?? 'UnknownError', statusCode, attempt);
        if (!isRetryableStatus(statusCode, code)) throw failure;
      } catch (err) {
        if (isFailure(err)) throw err;
        failure = s3Failure(networkCode(err), undefined, attempt);
      }
      if (attempt >= this.#maxAttempts) throw failure;
      await sleep(backoffMs(attempt));
    }
  }

  destroy(): Promise<void> {
    return this.#agent.destroy();
  }
}

function isRetryableStatus(status: number, code: string | undefined): boolean {
  return status >= 500 || status === 429 || code === 'SlowDown' || code === 'RequestTimeout';
}

/** S3's error code from an XML error body (`<Code>NoSuchKey</Code>`), when there is one. */
async function errorCode(response: Dispatcher.ResponseData): Promise<string | undefined> {
  let text = '';
  try {
    for await (const chunk of response.body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.length >= ERROR_BODY_LIMIT) break;
    }
  } catch {
    return undefined;
  } finally {
    response.body.destroy();
  }
  return /<Code>([A-Za-z0-9.]+)<\/Code>/.exec(text)?.[1];
}

/** The network failure's code, in the SDK's words where they differ (a timeout is "TimeoutError"). */
function networkCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'TimeoutError';
  if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'ECONNRESET';
  return typeof code === 'string' ? code : 'RequestFailed';
}

function s3Failure(code: string, status: number | undefined, attempts: number, detail?: string): S3FailureShape {
  const failure = new Error(detail ?? code) as S3FailureShape;
  failure.name = code;
  failure.Code = code;
  failure.$metadata = { ...(status === undefined ? {} : { httpStatusCode: status }), attempts };
  return failure;
}

function isFailure(err: unknown): err is S3FailureShape {
  return err instanceof Error && typeof (err as Partial<S3FailureShape>).$metadata === 'object';
}

function backoffMs(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
}
