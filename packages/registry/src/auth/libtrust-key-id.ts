// The key ID CNCF distribution (libtrust) computes for a public key, and looks a token's `kid` up by: the
// first 240 bits of the SHA-256 of the DER SubjectPublicKeyInfo, base32 without padding, in 12 groups of
// four characters joined by ":".
import { createHash, type KeyObject } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const encoded = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return encoded.match(/.{4}/g)?.join(':') ?? encoded;
}
