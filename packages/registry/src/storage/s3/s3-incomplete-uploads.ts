// Multipart uploads a crashed process left open (parts stored, never completed or aborted) cost storage until
// they are aborted. The upload purger calls this: every multipart upload under the root prefix started longer
// ago than the purge age is aborted. Stores without ListMultipartUploads (s3rver answers 501) report
// "unsupported": a bucket lifecycle rule (AbortIncompleteMultipartUpload) is then the way.

import { AbortMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { S3Bucket } from './s3-bucket.js';
import { isNotImplemented, toS3StorageError } from './s3-errors.js';

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

/** Multipart uploads under the root prefix initiated before `before`, or "unsupported". */
export async function incompleteUploads(bucket: S3Bucket, before: Date): Promise<IncompleteUpload[] | 'unsupported'> {
  const found: IncompleteUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await bucket.client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket.name,
          Prefix: bucket.rootPrefix,
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
        }),
      );
    } catch (err) {
      if (isNotImplemented(err)) return 'unsupported';
      throw toS3StorageError(bucket.driver, '/', 'ListMultipartUploads', err);
    }
    for (const upload of page.Uploads ?? []) {
      if (upload.Key === undefined || upload.UploadId === undefined || upload.Initiated === undefined) continue;
      if (upload.Initiated < before) found.push({ key: upload.Key, uploadId: upload.UploadId, initiated: upload.Initiated });
    }
    if (page.IsTruncated !== true) return found;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/** Aborts what incompleteUploads found; returns how many were aborted, or "unsupported". */
export async function abortIncompleteUploads(bucket: S3Bucket, olderThanMs: number, dryRun: boolean, now = Date.now()): Promise<number | 'unsupported'> {
  const uploads = await incompleteUploads(bucket, new Date(now - olderThanMs));
  if (uploads === 'unsupported' || dryRun) return uploads === 'unsupported' ? uploads : uploads.length;
  let aborted = 0;
  for (const upload of uploads) {
    try {
      await bucket.client.send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: upload.key, UploadId: upload.uploadId }));
      aborted += 1;
    } catch (err) {
      if (isNotImplemented(err)) return 'unsupported';
      throw toS3StorageError(bucket.driver, bucket.pathOf(upload.key), 'AbortMultipartUpload', err);
    }
  }
  return aborted;
}
