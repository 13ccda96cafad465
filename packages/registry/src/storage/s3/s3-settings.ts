// Reads distribution's `storage.s3` parameters (as written in config.yml or set by REGISTRY_STORAGE_S3_*)
// into typed settings. Every problem names the key as `storage.s3.<key>`; no message shows a secret.
import { inspect } from 'node:util';
import { invalidConfig } from '../../config/config-errors.js';
import { isSecretKey } from '../../config/config-keys.js';
import { parseByteSize } from '../../config/byte-size.js';

const MiB = 1024 * 1024;
/** S3's smallest part (all but the last part of a multipart upload). */
export const MIN_PART_SIZE = 5 * MiB;
/** S3's largest part, and the largest object a single CopyObject may copy. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;

/** Distribution's defaults, so that a config written for registry:2 behaves the same here. */
export const S3_DEFAULTS = {
  chunkSize: 2 * MIN_PART_SIZE,
  multipartCopyChunkSize: 32 * MiB,
  multipartCopyMaxConcurrency: 100,
  multipartCopyThresholdSize: 32 * MiB,
} as const;

/** Instant-retrieval classes only (distribution's list): an archived blob could not be served. */
const STORAGE_CLASSES = [
  'NONE',
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'OUTPOSTS',
  'GLACIER_IR',
  'EXPRESS_ONEZONE',
] as const;
type StorageClassName = Exclude<(typeof STORAGE_CLASSES)[number], 'NONE' | 'STANDARD'>;

const OBJECT_ACLS = [
  'private',
  'public-read',
  'public-read-write',
  'authenticated-read',
  'aws-exec-read',
  'bucket-owner-read',
  'bucket-owner-full-control',
] as const;
type ObjectAcl = Exclude<(typeof OBJECT_ACLS)[number], 'private'>;

/** Every parameter distribution's s3 driver reads; any other key gets a warning. */
const KNOWN_KEYS = new Set([
  'accesskey', 'secretkey', 'sessiontoken', 'region', 'regionendpoint', 'forcepathstyle', 'bucket', 'rootdirectory',
  'secure', 'skipverify', 'v4auth', 'chunksize', 'multipartcopychunksize', 'multipartcopymaxconcurrency',
  'multipartcopythresholdsize', 'encrypt', 'keyid', 'storageclass', 'objectacl', 'useragent', 'usedualstack',
  'accelerate', 'usefipsendpoint', 'loglevel', 'redirectendpoint',
]);

/** Static credentials that print as redacted however they are logged or serialised. */
export class S3Credentials {
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | undefined;
  constructor(
    readonly accessKeyId: string,
    secretAccessKey: string,
    sessionToken?: string,
  ) {
    this.#secretAccessKey = secretAccessKey;
    this.#sessionToken = sessionToken;
  }
  /** The shape the AWS SDK takes. */
  forSdk(): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
    return { accessKeyId: this.accessKeyId, secretAccessKey: this.#secretAccessKey, ...(this.#sessionToken ? { sessionToken: this.#sessionToken } : {}) };
  }
  toJSON(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return 'S3Credentials [redacted]';
  }
}

export interface S3Settings {
  bucket: string;
  region: string;
  /** scheme://host[:port] of an S3-compatible store; undefined for AWS's own endpoints. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** Prefix of every key, as distribution builds it: "" or "some/prefix" (no slashes at the ends). */
  rootDirectory: string;
  secure: boolean;
  skipVerify: boolean;
  /** Undefined: the SDK's default credential chain (environment, profiles, web identity, instance roles). */
  credentials: S3Credentials | undefined;
  /** Part size of multipart uploads (and the most a writer holds in memory besides the part in flight). */
  chunkSize: number;
  multipartCopyChunkSize: number;
  multipartCopyMaxConcurrency: number;
  /** Objects larger than this are copied with UploadPartCopy (where the store has it) instead of CopyObject. */
  multipartCopyThresholdSize: number;
  /** Server-side encryption of every object written: SSE-S3 (AES256), or SSE-KMS when keyId is set. */
  encryption: { kmsKeyId: string | undefined } | undefined;
  /** Undefined: the store's default (STANDARD, or NONE: no header at all). */
  storageClass: StorageClassName | undefined;
  /** Undefined: no ACL header (`private`, the default, is what an object gets without one). */
  objectAcl: ObjectAcl | undefined;
  userAgent: string | undefined;
  useDualStack: boolean;
  accelerate: boolean;
  useFipsEndpoint: boolean;
}

/** Parses the raw parameters; `warn` receives what the operator should know but need not fix. */
export function parseS3Settings(raw: Readonly<Record<string, unknown>>, warn: (message: string) => void): S3Settings {
  const params: S3Parameters = new S3Parameters(raw);
  for (const key of params.keys()) {
    if (!KNOWN_KEYS.has(key)) warn(`storage.s3.${key} is not a parameter of the S3 storage driver and is ignored`);
  }

  const bucket = params.string('bucket');
  if (!bucket) params.fail('bucket', 'is required');
  const region = params.string('region');
  if (!region) params.fail('region', 'is required (with regionendpoint, any name the store accepts, e.g. us-east-1)');
  if (!/^[A-Za-z0-9-]+$/.test(region)) params.fail('region', `${JSON.stringify(region)} is not a region name`);

  const secure = params.bool('secure') ?? true;
  const endpoint = readEndpoint(params, secure);

  if (params.bool('v4auth') === false) {
    warn(
      'storage.s3.v4auth: false is not supported (the AWS SDK no longer offers signature version 2); requests are signed with ' +
        'signature version 4, which AWS and current S3-compatible stores accept',
    );
  }

  const accessKey = params.string('accesskey');
  const secretKey = params.string('secretkey');
  const sessionToken = params.string('sessiontoken');
  if (accessKey && !secretKey) params.fail('secretkey', 'is required when storage.s3.accesskey is set');
  if (!accessKey && secretKey) params.fail('accesskey', 'is required when storage.s3.secretkey is set');

  const encrypt = params.bool('encrypt') ?? false;
  const keyId = params.string('keyid') || undefined;
  if (keyId !== undefined && !encrypt) warn('storage.s3.keyid is set but storage.s3.encrypt is not true: objects are not encrypted with that key');

  const storageClass = params.choice('storageclass', STORAGE_CLASSES, (v) => v.toUpperCase());
  const objectAcl = params.choice('objectacl', OBJECT_ACLS, (v) => v);
  for (const ignored of ['loglevel', 'redirectendpoint'] as const) {
    if (params.has(ignored)) warn(`storage.s3.${ignored} is not supported by this registry and is ignored`);
  }

  return {
    bucket,
    region,
    endpoint,
    // registry:2 (2.x) always used path-style requests with a regionendpoint; 3.x asks for forcepathstyle.
    // An absent value keeps the 2.x behaviour, which is what S3-compatible stores such as MinIO expect.
    forcePathStyle: params.bool('forcepathstyle') ?? endpoint !== undefined,
    rootDirectory: (params.string('rootdirectory') ?? '').replace(/^\/+|\/+$/g, ''),
    secure,
    skipVerify: params.bool('skipverify') ?? false,
    credentials: accessKey ? new S3Credentials(accessKey, secretKey ?? '', sessionToken || undefined) : undefined,
    chunkSize: params.size('chunksize', S3_DEFAULTS.chunkSize, MIN_PART_SIZE, MAX_PART_SIZE),
    multipartCopyChunkSize: params.size('multipartcopychunksize', S3_DEFAULTS.multipartCopyChunkSize, MIN_PART_SIZE, MAX_PART_SIZE),
    multipartCopyMaxConcurrency: params.size('multipartcopymaxconcurrency', S3_DEFAULTS.multipartCopyMaxConcurrency, 1, Number.MAX_SAFE_INTEGER),
    multipartCopyThresholdSize: params.size('multipartcopythresholdsize', S3_DEFAULTS.multipartCopyThresholdSize, 0, MAX_PART_SIZE),
    encryption: encrypt ? { kmsKeyId: keyId } : undefined,
    storageClass: storageClass === 'NONE' || storageClass === 'STANDARD' ? undefined : storageClass,
    objectAcl: objectAcl === 'private' ? undefined : objectAcl,
    userAgent: params.string('useragent') || undefined,
    useDualStack: params.bool('usedualstack') ?? false,
    accelerate: params.bool('accelerate') ?? false,
    useFipsEndpoint: params.bool('usefipsendpoint') ?? false,
  };
}

/** `regionendpoint` as scheme://host[:port]; without a scheme, `secure` picks https or http. */
function readEndpoint(params: S3Parameters, secure: boolean): string | undefined {
  const text = params.string('regionendpoint');
  if (!text) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `${secure ? 'https' : 'http'}://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return params.fail('regionendpoint', `${JSON.stringify(text)} is not a URL (e.g. https://minio.example.com:9000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') params.fail('regionendpoint', 'must be an http or https URL');
  // Credentials belong in accesskey/secretkey; a URL is printed in too many places to carry them.
  if (url.username !== '' || url.password !== '') params.fail('regionendpoint', 'must not contain a user name or password');
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** Typed reads of the raw map, accepting what distribution accepts (Go's ParseBool and ParseInt on strings). */
class S3Parameters {
  readonly #values = new Map<string, unknown>();

  constructor(raw: Readonly<Record<string, unknown>>) {
    for (const [key, value] of Object.entries(raw)) {
      const lower = key.toLowerCase();
      if (this.#values.has(lower)) this.fail(lower, 'given more than once (keys are case-insensitive)');
      if (value !== null && value !== undefined) this.#values.set(lower, value);
    }
  }

  keys(): string[] {
    return [...this.#values.keys()];
  }

  has(key: string): boolean {
    return this.#values.has(key);
  }

  string(key: string): string | undefined {
    const value = this.#values.get(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value.trim();
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return this.fail(key, `expected a string, got ${describe(value, key)}`);
  }

  bool(key: string): boolean | undefined {
    const value = this.#values.get(key);
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string') {
      const lower = value.trim().toLowerCase();
      if (['1', 't', 'true', 'yes', 'y', 'on'].includes(lower)) return true;
      if (['0', 'f', 'false', 'no', 'n', 'off'].includes(lower)) return false;
    }
    return this.fail(key, `expected a boolean, got ${describe(value, key)}`);
  }

  /** Bytes (or a count): an integer, a Go integer literal ("0x500000"), or a size such as "10MiB". */
  size(key: string, fallback: number, min: number, max: number): number {
    const value = this.#values.get(key);
    if (value === undefined) return fallback;
    let n: number | undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value)) n = value;
    else if (typeof value === 'string') n = /^\s*0x[0-9a-f]+\s*$/i.test(value) ? Number.parseInt(value, 16) : parseByteSize(value);
    if (n === undefined || !Number.isSafeInteger(n)) return this.fail(key, `expected an integer, got ${describe(value, key)}`);
    if (n < min || n > max) this.fail(key, `${n} is out of range: it must be between ${min} and ${max} (inclusive)`);
    return n;
  }

  choice<T extends string>(key: string, allowed: readonly T[], normalise: (text: string) => string): T | undefined {
    const text = this.string(key);
    if (!text) return undefined;
    const found = allowed.find((a) => a === normalise(text));
    if (found === undefined) this.fail(key, `${JSON.stringify(text)} is not one of ${allowed.join(', ')}`);
    return found;
  }

  fail(key: string, problem: string): never {
    throw invalidConfig(`storage.s3.${key}`, problem);
  }
}

function describe(value: unknown, key: string): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (isSecretKey(`storage.s3.${key}`)) return 'a value that is not shown (secret)';
  return JSON.stringify(value);
}
