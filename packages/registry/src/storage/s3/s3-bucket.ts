// The bucket as the S3 driver sees it: storage paths mapped to keys the way distribution's s3 driver
// maps them (rootdirectory + path, no leading slash), and each S3 call made once, with its failure
// turned into a storage error naming the path; objects' bytes stream through S3ObjectReader. What a store lacks (s3rver: UploadPartCopy,
// AbortMultipartUpload) is detected on first use and remembered.
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StorageError, StorageUnavailableError } from '../storage-errors.js';
import { isNotImplemented, isS3NotFound, toS3StorageError } from './s3-errors.js';
import type { S3ObjectReader } from './s3-object-reader.js';
import { partRanges, type PartRange } from './s3-part-ranges.js';
import { MAX_PART_SIZE, type S3Settings } from './s3-settings.js';

export interface ObjectInfo {
  key: string;
  size: number;
  modTime: Date;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Common prefixes, each ending in the delimiter. */
  prefixes: string[];
}

/** S3's limit on keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

export class S3Bucket {
  readonly name: string;
  /** "" or "root/": what every key starts with. */
  readonly rootPrefix: string;
  /** Whether the store has UploadPartCopy; unknown until first tried. */
  partCopy: 'unknown' | 'yes' | 'no' = 'unknown';
  /** Whether the store has DeleteObjects; unknown until first tried. */
  batchDelete: 'unknown' | 'yes' | 'no' = 'unknown';
  /** Whether the store has AbortMultipartUpload (s3rver answers 405). */
  abortSupport: 'unknown' | 'yes' | 'no' = 'unknown';
  /** Headers every object written gets: encryption, storage class, ACL. */
  readonly #objectParams: Record<string, string>;

  constructor(
    readonly driver: string,
    readonly client: S3Client,
    readonly settings: S3Settings,
    /** Streams objects' bytes (see s3-object-reader.ts for why not through the SDK). */
    private readonly objects: S3ObjectReader,
  ) {
    this.name = settings.bucket;
    this.rootPrefix = settings.rootDirectory === '' ? '' : `${settings.rootDirectory}/`;
    const params: Record<string, string> = {};
    if (settings.encryption) {
      params['ServerSideEncryption'] = settings.encryption.kmsKeyId ? 'aws:kms' : 'AES256';
      if (settings.encryption.kmsKeyId) params['SSEKMSKeyId'] = settings.encryption.kmsKeyId;
    }
    if (settings.storageClass) params['StorageClass'] = settings.storageClass;
    if (settings.objectAcl) params['ACL'] = settings.objectAcl;
    this.#objectParams = params;
  }

  /** "/docker/registry/v2/x" → "<root>/docker/registry/v2/x"; "/" → the root prefix. */
  keyFor(path: string): string {
    return path === '/' ? this.rootPrefix : this.rootPrefix + path.slice(1);
  }

  /** The storage path of a key under the root prefix. */
  pathOf(key: string): string {
    return `/${key.slice(this.rootPrefix.length)}`;
  }

  /** Size and time of the object at `path`, or undefined when there is none. */
  async head(path: string): Promise<{ size: number; modTime: Date } | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.name, Key: this.keyFor(path) }));
      return { size: out.ContentLength ?? 0, modTime: out.LastModified ?? new Date() };
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      throw toS3StorageError(this.driver, path, 'HeadObject', err);
    }
  }

  /**
   * The object's bytes from `start` to `end` (inclusive; to the end when absent), as a stream;
   * 'unsatisfiable' when the range starts at or past the end (S3 answers 416 even for an empty object).
   */
  async get(path: string, range?: { start: number; end?: number }): Promise<Readable | 'unsatisfiable'> {
    try {
      return await this.objects.get(this.keyFor(path), range);
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'GetObject', err);
    }
  }

  async put(path: string, body: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.name, Key: this.keyFor(path), Body: body, ContentLength: body.length, ...this.#objectParams }));
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'PutObject', err);
    }
  }

  /** Every page of keys under `prefix` (a key prefix), with `delimiter` grouping deeper keys. */
  async *listPages(path: string, prefix: string, delimiter?: string): AsyncGenerator<ListPage> {
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}), ...(token ? { ContinuationToken: token } : {}) }),
        );
      } catch (err) {
        throw toS3StorageError(this.driver, path, 'ListObjectsV2', err);
      }
      yield {
        objects: (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, modTime: o.LastModified ?? new Date() }])),
        prefixes: (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
      };
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** One object whose key starts with `prefix`, or undefined: how a "directory" is found. */
  async firstUnder(path: string, prefix: string): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, MaxKeys: 1 }));
      const first = out.Contents?.[0];
      return first?.Key === undefined ? undefined : { key: first.Key, size: first.Size ?? 0, modTime: first.LastModified ?? new Date() };
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'ListObjectsV2', err);
    }
  }

  /**
   * Copies the object at `from` (of `size` bytes) to `to`, server-side. Above multipartcopythresholdsize
   * it copies in parts (faster on AWS, and needed above 5 GiB); a store without UploadPartCopy gets
   * a single CopyObject up to 5 GiB.
   */
  async copy(from: string, to: string, size: number): Promise<void> {
    if (size > MAX_PART_SIZE || (size > this.settings.multipartCopyThresholdSize && this.partCopy !== 'no')) {
      if (await this.#copyInParts(from, to, size)) return;
      if (size > MAX_PART_SIZE) {
        throw new StorageError('S3_COPY_UNSUPPORTED', this.driver, to, `cannot copy ${from} (over 5 GiB) to ${to}: the store has no UploadPartCopy`);
      }
    }
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.name, Key: this.keyFor(to), CopySource: this.#copySource(from), ...this.#objectParams }));
    } catch (err) {
      throw toS3StorageError(this.driver, isS3NotFound(err) ? from : to, 'CopyObject', err);
    }
  }

  /** A multipart copy; false (and nothing changed) when the store has no UploadPartCopy. */
  async #copyInParts(from: string, to: string, size: number): Promise<boolean> {
    if (this.partCopy === 'no') return false;
    const uploadId = await this.createMultipart(to);
    try {
      const parts = await this.copyParts(to, uploadId, from, 0, size, 1);
      if (parts !== 'unsupported') {
        await this.completeMultipart(to, uploadId, parts);
        return true;
      }
    } catch (err) {
      await this.abortMultipart(to, uploadId);
      throw err;
    }
    await this.abortMultipart(to, uploadId);
    return false;
  }

  /**
   * Copies bytes [start, start+length) of `from` as parts numbered from `firstPart` (see partRanges:
   * each at least 5 MiB when length is, so more parts may follow), several at a time;
   * 'unsupported' when the store has no UploadPartCopy.
   */
  async copyParts(path: string, uploadId: string, from: string, start: number, length: number, firstPart: number): Promise<CompletedPart[] | 'unsupported'> {
    if (this.partCopy === 'no') return 'unsupported';
    const ranges = partRanges(start, length, this.settings.multipartCopyChunkSize, firstPart);
    const copyOne = async (r: PartRange): Promise<CompletedPart> => {
      const out = await this.client.send(
        new UploadPartCopyCommand({
          Bucket: this.name,
          Key: this.keyFor(path),
          UploadId: uploadId,
          PartNumber: r.partNumber,
          CopySource: this.#copySource(from),
          CopySourceRange: `bytes=${r.begin}-${r.end - 1}`,
        }),
      );
      return { PartNumber: r.partNumber, ETag: out.CopyPartResult?.ETag };
    };
    try {
      // The first part alone tells whether the store can do this at all.
      const first = await copyOne(ranges[0] as PartRange);
      this.partCopy = 'yes';
      const rest = await mapLimited(ranges.slice(1), this.settings.multipartCopyMaxConcurrency, copyOne);
      return [first, ...rest];
    } catch (err) {
      if (isNotImplemented(err)) {
        this.partCopy = 'no';
        return 'unsupported';
      }
      throw toS3StorageError(this.driver, isS3NotFound(err) ? from : path, 'UploadPartCopy', err);
    }
  }

  async createMultipart(path: string): Promise<string> {
    try {
      const out = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.name, Key: this.keyFor(path), ...this.#objectParams }));
      if (out.UploadId === undefined) throw new Error('CreateMultipartUpload answered without an UploadId');
      return out.UploadId;
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'CreateMultipartUpload', err);
    }
  }

  async uploadPart(path: string, uploadId: string, partNumber: number, body: Uint8Array): Promise<CompletedPart> {
    try {
      const out = await this.client.send(
        new UploadPartCommand({ Bucket: this.name, Key: this.keyFor(path), UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }),
      );
      return { PartNumber: partNumber, ETag: out.ETag };
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'UploadPart', err);
    }
  }

  async completeMultipart(path: string, uploadId: string, parts: CompletedPart[]): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.name, Key: this.keyFor(path), UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      throw toS3StorageError(this.driver, path, 'CompleteMultipartUpload', err);
    }
  }

  /**
   * Best effort: a store without AbortMultipartUpload (s3rver answers 405) keeps the parts until a
   * bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them; never fails the caller.
   */
  async abortMultipart(path: string, uploadId: string): Promise<void> {
    if (this.abortSupport === 'no') return;
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: this.keyFor(path), UploadId: uploadId }));
      this.abortSupport = 'yes';
    } catch (err) {
      if (isNotImplemented(err)) this.abortSupport = 'no';
    }
  }

  /** Deletes keys (any number) with DeleteObjects in batches, or one by one where the store lacks it. */
  async deleteKeys(path: string, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      if (this.batchDelete !== 'no' && batch.length > 1) {
        try {
          const out = await this.client.send(
            new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
          );
          this.batchDelete = 'yes';
          const failed = out.Errors ?? [];
          if (failed.length > 0) {
            const first = failed[0]?.Key === undefined ? path : this.pathOf(failed[0].Key);
            throw new StorageUnavailableError(this.driver, path, `DeleteObjects ${path}: S3 kept ${failed.length} object(s), e.g. ${first}: ${failed[0]?.Code ?? 'unknown error'}`);
          }
          continue;
        } catch (err) {
          if (!isNotImplemented(err)) throw toS3StorageError(this.driver, path, 'DeleteObjects', err);
          this.batchDelete = 'no';
        }
      }
      await mapLimited(batch, 16, (key) => this.deleteKey(this.pathOf(key), key));
    }
  }

  async deleteKey(path: string, key = this.keyFor(path)): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
    } catch (err) {
      if (!isS3NotFound(err)) throw toS3StorageError(this.driver, path, 'DeleteObject', err);
    }
  }

  /** x-amz-copy-source: bucket/key, each segment URL-encoded. */
  #copySource(path: string): string {
    return `${this.name}/${this.keyFor(path).split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
