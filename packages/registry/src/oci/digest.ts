// Content digests ("sha256:<64 hex>"): parsing, validation, and hashing while streaming.
import { createHash, type Hash } from 'node:crypto';
import { RegistryError } from './registry-errors.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** "algorithm:hex" */
  readonly value: string;
}

/** Parses a digest string; returns null when it is not a digest this registry can verify. */
export function tryParseDigest(text: string | undefined | null): Digest | null {
  if (typeof text !== 'string' || !DIGEST_GRAMMAR.test(text)) return null;
  const colon = text.indexOf(':');
  const algorithm = text.slice(0, colon);
  const hex = text.slice(colon + 1);
  if (algorithm !== 'sha256' && algorithm !== 'sha512') return null;
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) return null;
  return { algorithm, hex, value: text };
}

/** Parses a digest or throws DIGEST_INVALID (400) naming the offending text. */
export function parseDigest(text: string | undefined | null): Digest {
  const digest = tryParseDigest(text);
  if (!digest) {
    throw new RegistryError('DIGEST_INVALID', 'provided digest did not match uploaded content', {
      detail: { digest: String(text).slice(0, 200), reason: 'not a valid sha256 or sha512 digest' },
    });
  }
  return digest;
}

/**
 * A digest in the OCI grammar whose algorithm this registry does not implement (sha384, blake3, md5...):
 * well-formed, so not a client's mistake, but naming content this registry can never hold.
 */
export function isForeignDigest(text: string): boolean {
  if (!DIGEST_GRAMMAR.test(text)) return false;
  const algorithm = text.slice(0, text.indexOf(':'));
  return algorithm !== 'sha256' && algorithm !== 'sha512';
}

export function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

export function digestOf(content: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): Digest {
  const hex = createHash(algorithm).update(content).digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function digestFromHash(hash: Hash, algorithm: DigestAlgorithm): Digest {
  const hex = hash.digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}
