// The S3 client the driver uses: endpoint and credentials from the settings, bounded retries with
// backoff, connect and idle timeouts, kept-alive connections, and checksums only where S3 requires them.
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Settings } from './s3-settings.js';

export interface S3ClientTuning {
  /** Tries per request (the first one included), with exponential backoff and jitter in between. */
  maxAttempts?: number;
  /** How long connecting may take. */
  connectTimeoutMs?: number;
  /**
   * How long a connection may stay silent (no byte either way) before the request fails and is
   * retried: a hung store costs at most maxAttempts times this. It also applies while a blob is
   * streamed to a client that has stopped reading.
   */
  idleTimeoutMs?: number;
  /** Connections per S3 endpoint. */
  maxSockets?: number;
}

export const DEFAULT_TUNING: Required<S3ClientTuning> = {
  maxAttempts: 4,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
  maxSockets: 128,
};

/** `tuning`: whole (the driver merges the operator's over DEFAULT_TUNING once, for the client and its reader). */
export function createS3Client(settings: S3Settings, t: Required<S3ClientTuning> = DEFAULT_TUNING): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: t.maxSockets };
  const config: S3ClientConfig = {
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // Streamed bodies would otherwise be sent with aws-chunked framing and trailing checksums, which
    // S3-compatible stores (s3rver, older MinIO and Ceph) store as part of the object: silent corruption.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: t.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: t.connectTimeoutMs,
      socketTimeout: t.idleTimeoutMs,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent({ ...agentOptions, rejectUnauthorized: !settings.skipVerify }),
    },
    useDualstackEndpoint: settings.useDualStack,
    useFipsEndpoint: settings.useFipsEndpoint,
    useAccelerateEndpoint: settings.accelerate,
  };
  if (settings.endpoint !== undefined) config.endpoint = settings.endpoint;
  else if (!settings.secure) config.tls = false;
  if (settings.credentials !== undefined) config.credentials = settings.credentials.forSdk();
  if (settings.userAgent !== undefined) config.customUserAgent = settings.userAgent;
  const client = new S3Client(config);
  addDeleteObjectsContentMd5(client);
  return client;
}

/**
 * DeleteObjects must carry Content-MD5 on AWS general-purpose buckets and on many S3-compatible
 * stores; with WHEN_REQUIRED the SDK sends a CRC32 checksum instead, so the MD5 is added here.
 */
function addDeleteObjectsContentMd5(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown } | undefined;
      if (context.commandName === 'DeleteObjectsCommand' && request?.headers !== undefined) {
        const body = request.body;
        const hasMd5 = Object.keys(request.headers).some((h) => h.toLowerCase() === 'content-md5');
        if (!hasMd5 && (typeof body === 'string' || body instanceof Uint8Array)) {
          request.headers['content-md5'] = createHash('md5').update(body).digest('base64');
        }
      }
      return next(args);
    },
    { step: 'build', name: 'deleteObjectsContentMd5', override: true },
  );
}
