// Reads a blob through the hash its digest names, streaming: the digest the content really has, never more
// than one chunk of it in memory.
import { createHash } from 'node:crypto';
import type { Digest } from '../oci/digest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';

/** The content's real digest (same algorithm as `digest`) and its size. */
export async function hashBlob(driver: StorageDriver, digest: Digest, onBytes: (n: number) => void = () => undefined): Promise<{ actual: string; size: number }> {
  const hash = createHash(digest.algorithm);
  let size = 0;
  const stream = await driver.reader(pathFor({ kind: 'blobData', digest }), 0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    onBytes(chunk.length);
  }
  return { actual: `${digest.algorithm}:${hash.digest('hex')}`, size };
}
