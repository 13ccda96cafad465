// Preloaded into s3rver 3.7.1 (node --require) by startS3rver: fixes where its filesystem store is not
// what S3 promises, so that tests against it test our code rather than the fake's bugs:
// - ListObjects with a delimiter omitted every common prefix that holds only deeper keys
//   ("a/b/c" gave no "a/" under prefix ""), and walked keys in readdir order, which breaks paging;
// - PutObject, CompleteMultipartUpload and CopyObject wrote the object (and its metadata files) in
//   place, so a reader could get part of an overwrite or a 500 (S3 replaces an object atomically), and
//   a GET could pair one version's length with another version's bytes;
// - concurrent deletes in one directory failed while removing the emptied directories.
// Nothing else changes: authentication, the missing operations (UploadPartCopy, AbortMultipartUpload...)
// and the on-disk format stay as they are.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { pipeline } = require('node:stream/promises');
const { Transform } = require('node:stream');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const S3Object = require('s3rver/lib/models/object');

const OBJECT_SUFFIX = '._S3rver_object';
/** s3rver's own entries (multipart uploads, bucket configs) are not keys. */
const INTERNAL = /\._S3rver_/;

const store = FilesystemStore.prototype;

/** S3 orders keys by their UTF-8 bytes. */
function byBytes(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Every key under `prefix`, sorted, descending only into directories that can hold such keys. */
function keysUnder(bucketPath, prefix) {
  const keys = [];
  const visit = (dir, keyDir) => {
    for (const name of fs.readdirSync(dir)) {
      const full = path.join(dir, name);
      let stats;
      try {
        stats = fs.statSync(full);
      } catch (err) {
        if (err.code === 'ENOENT') continue;
        throw err;
      }
      if (stats.isDirectory()) {
        if (INTERNAL.test(name)) continue;
        const sub = `${keyDir}${name}/`;
        if (sub.startsWith(prefix) || prefix.startsWith(sub)) visit(full, sub);
      } else if (name.endsWith(OBJECT_SUFFIX)) {
        const key = FilesystemStore.decodeKeyPath(keyDir + name.slice(0, -OBJECT_SUFFIX.length));
        if (key.startsWith(prefix)) keys.push(key);
      }
    }
  };
  visit(bucketPath, '');
  return keys.sort(byBytes);
}

store.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const keys = [];
  const commonPrefixes = [];
  let isTruncated = false;
  let prefixesBeforeLastKey = 0;
  for (const key of keysUnder(this.getBucketPath(bucket), prefix)) {
    if (startAfter && byBytes(key, startAfter) <= 0) continue;
    const rest = key.slice(prefix.length);
    const at = delimiter ? rest.indexOf(delimiter) : -1;
    if (at !== -1) {
      const common = prefix + rest.slice(0, at + delimiter.length);
      if (commonPrefixes[commonPrefixes.length - 1] !== common) commonPrefixes.push(common);
      continue;
    }
    // s3rver's controller takes the next continuation token from the last key of a page, so a page
    // may only end on a key: it runs past maxKeys over common prefixes until the next key.
    if (keys.length > 0 && keys.length + commonPrefixes.length >= maxKeys) {
      isTruncated = true;
      // Prefixes after the last key come again on the next page, which starts after that key.
      commonPrefixes.length = prefixesBeforeLastKey;
      break;
    }
    keys.push(key);
    prefixesBeforeLastKey = commonPrefixes.length;
  }
  const metadata = await Promise.all(
    keys.map((key) =>
      this.getMetadata(bucket, key).catch((err) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      }),
    ),
  );
  return {
    objects: keys.flatMap((key, i) => (metadata[i] === undefined ? [] : [new S3Object(bucket, key, null, metadata[i])])),
    commonPrefixes,
    isTruncated,
  };
};

/** Writes `content` (a buffer or a stream) to a temporary file beside `target`, then renames it into place. */
async function writeAtomically(target, content) {
  // A concurrent delete may remove the emptied directory between mkdir and open: make it again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOnce(target, content);
    } catch (err) {
      if (err.code !== 'ENOENT' || attempt === 3 || !Buffer.isBuffer(content)) throw err;
    }
  }
}

async function writeOnce(target, content) {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  const md5 = crypto.createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(content)) {
      md5.update(content);
      size = content.length;
      await fs.promises.writeFile(temp, content);
    } else {
      const count = new Transform({
        transform(chunk, encoding, callback) {
          md5.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(content, count, fs.createWriteStream(temp));
    }
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  return { size, md5: md5.digest('hex') };
}

/** Metadata and md5 files are replaced whole too: a GET reading them mid-write answered 500. */
store.putMetadata = async function putMetadata(bucket, key, metadata, md5) {
  const json = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) json[name] = value;
  }
  if (md5) await writeAtomically(this.getResourcePath(bucket, key, 'object.md5'), Buffer.from(md5));
  await writeAtomically(this.getResourcePath(bucket, key, 'metadata.json'), Buffer.from(JSON.stringify(json, null, 2)));
};

store.putObject = async function putObject(object) {
  const target = this.getResourcePath(object.bucket, object.key, 'object');
  const { size, md5 } = await writeAtomically(target, object.content);
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};

store.copyObject = async function copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata) {
  const source = this.getResourcePath(srcBucket, srcKey, 'object');
  const target = this.getResourcePath(destBucket, destKey, 'object');
  if (source !== target) {
    const { md5 } = await writeAtomically(target, fs.createReadStream(source));
    await writeAtomically(this.getResourcePath(destBucket, destKey, 'object.md5'), Buffer.from(md5));
  }
  if (replacementMetadata) {
    await this.putMetadata(destBucket, destKey, replacementMetadata);
  } else if (source !== target) {
    const json = await fs.promises.readFile(this.getResourcePath(srcBucket, srcKey, 'metadata.json')).catch((err) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (json !== undefined) await writeAtomically(this.getResourcePath(destBucket, destKey, 'metadata.json'), json);
  }
  return this.getMetadata(destBucket, destKey);
};

/** One version from open to end: the length comes from the file descriptor that is read. */
store.getObject = async function getObject(bucket, key, options) {
  let handle;
  try {
    handle = await fs.promises.open(this.getResourcePath(bucket, key, 'object'), 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  try {
    const stats = await handle.stat();
    const stored = await this.getMetadata(bucket, key).catch((err) => {
      if (err.code === 'ENOENT') return {};
      throw err;
    });
    const metadata = { ...stored, 'content-length': stats.size, 'last-modified': stats.mtime.toUTCString() };
    const lastByte = Math.max(0, stats.size - 1);
    const range = {
      start: (options && options.start) || 0,
      end: Math.min((options && options.end) || Infinity, lastByte),
    };
    const ranged = options && (options.start !== undefined || options.end);
    if (range.start < 0 || Math.min(range.end, lastByte) < range.start) {
      await handle.close();
      const object = new S3Object(bucket, key, null, metadata);
      if (ranged) object.range = range;
      return object;
    }
    const object = new S3Object(bucket, key, handle.createReadStream({ start: range.start, end: range.end }), metadata);
    if (ranged) object.range = range;
    return object;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
};

store.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ['object', 'object.md5', 'metadata.json'].map((resource) =>
      fs.promises.unlink(this.getResourcePath(bucket, key, resource)).catch((err) => {
        if (err.code !== 'ENOENT') throw err;
      }),
    ),
  );
  // Removes the directories this emptied; another delete may be removing them too, or a put refilling them.
  const parts = key.split('/');
  parts.pop();
  for (; parts.length > 0; parts.pop()) {
    try {
      await fs.promises.rmdir(path.join(this.getBucketPath(bucket), ...parts));
    } catch (err) {
      if (err.code === 'ENOENT') continue;
      if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') break;
      throw err;
    }
  }
};
