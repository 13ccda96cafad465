// The tag or digest in a request path, read per method as the spec wants it: on a read, a reference that
// cannot name anything is simply not found (404); on a write, a malformed one is the client's mistake (400).
import { isDigestReference, isForeignDigest, parseDigest, tryParseDigest, type Digest } from '../oci/digest.js';
import { RegistryError } from '../oci/registry-errors.js';
import { isValidTag } from '../oci/repository-name.js';
import { parseReference, type Reference } from '../services/manifest-store.js';
import { manifestUnknown } from '../services/tag-store.js';

/**
 * GET/HEAD of a manifest: neither a valid tag nor a digest this registry can hold is 404 MANIFEST_UNKNOWN
 * (end-3 fails only with 404; the conformance suite asks for 404 on `.INVALID_MANIFEST_NAME`).
 */
export function manifestReadReference(name: string, raw: string): Reference {
  const digest = tryParseDigest(raw);
  if (digest) return { kind: 'digest', digest };
  if (!isDigestReference(raw) && isValidTag(raw)) return { kind: 'tag', tag: raw };
  throw manifestUnknown(name, raw.slice(0, 200));
}

/**
 * DELETE of a manifest: an invalid tag names nothing there is to delete (404, as distribution answers);
 * a malformed digest stays 400 DIGEST_INVALID (end-9 lists 400).
 */
export function manifestDeleteReference(name: string, raw: string): Reference {
  if (!isDigestReference(raw) && !isValidTag(raw)) throw manifestUnknown(name, raw.slice(0, 200));
  return parseReference(raw);
}

/** PUT of a manifest: an invalid tag is 400 TAG_INVALID, a malformed digest 400 DIGEST_INVALID. */
export function manifestWriteReference(raw: string): Reference {
  return parseReference(raw);
}

/**
 * The digest of a blob path (GET, HEAD, DELETE): a well-formed digest of an algorithm we do not implement
 * is a blob we cannot have, so 404 BLOB_UNKNOWN (distribution does the same); a malformed one is 400
 * DIGEST_INVALID.
 */
export function blobPathDigest(raw: string): Digest {
  const digest = tryParseDigest(raw);
  if (digest) return digest;
  if (isForeignDigest(raw)) throw foreignBlob(raw);
  return parseDigest(raw);
}

function foreignBlob(raw: string): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', 'blob unknown to registry', {
    detail: { digest: raw.slice(0, 200), reason: 'digest algorithm not supported by this registry' },
  });
}
