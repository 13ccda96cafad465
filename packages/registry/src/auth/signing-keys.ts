// The built-in token service's signing keys. Without a configured key file, ES256 (P-256) keys are made on
// first start and kept in the store (so replicas sharing it share them), each with a self-signed certificate
// (what another registry trusts as its rootcertbundle). The newest key signs; after `rotationMs` a new one is
// made, and an older key keeps verifying until every token it signed has expired, then is deleted. With a
// key file (EC P-256 or RSA), that key signs and nothing rotates.
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CodedError, type Logger } from '@private-registry/core';
import { isPathNotFound } from '../storage/storage-errors.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { pathFor } from '../storage/path-spec.js';
import { libtrustKeyId } from './libtrust-key-id.js';
import { selfSignedCertificate } from './self-signed-certificate.js';

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface SigningKey {
  /** The libtrust key ID, the JWT header's `kid`. */
  id: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificatePem: string;
  /** The certificate as the JWT header's `x5c` entry (base64 DER). */
  x5c: string;
  createdAt: number;
}

interface StoredKey {
  id: string;
  alg: SigningAlgorithm;
  createdAt: string;
  privateKeyPem: string;
  certificatePem: string;
}

export interface SigningKeysOptions {
  driver: StorageDriver;
  /** A PEM private key to sign with instead of stored keys. */
  keyFile?: string;
  /** Make a new key when the current one is older than this; 0: never. */
  rotationMs: number;
  tokenLifetimeS: number;
  refreshLifetimeMs: number;
  log: Logger;
  now?: () => number;
}

/** How often the store is read again for keys other replicas made (and rotation is checked). */
const REFRESH_MS = 15_000;
/** A `kid` we do not know makes us read the store again, at most this often. */
const MISS_REREAD_MS = 5_000;

export class SigningKeyError extends CodedError {}

export class SigningKeys {
  private keys: SigningKey[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastReread = 0;

  private constructor(private readonly options: SigningKeysOptions) {}

  static async open(options: SigningKeysOptions): Promise<SigningKeys> {
    const keys = new SigningKeys(options);
    if (options.keyFile !== undefined) {
      keys.keys = [await keyFromFile(options.keyFile, keys.now())];
    } else {
      await keys.refresh();
      keys.timer = setInterval(() => {
        keys.refresh().catch((err: Error) => options.log.warn({ err: err.message }, 'could not refresh the token signing keys'));
      }, REFRESH_MS);
      keys.timer.unref();
    }
    options.log.info({ kid: keys.current().id, alg: keys.current().alg, keys: keys.keys.length, source: options.keyFile ?? 'store' }, 'token signing key ready');
    return keys;
  }

  /** The key that signs now. */
  current(): SigningKey {
    const newest = this.keys[this.keys.length - 1];
    if (newest === undefined) throw new SigningKeyError('SIGNING_KEY_MISSING', 'no token signing key');
    return newest;
  }

  /** Every key still trusted for verification, oldest first. */
  verificationKeys(): readonly SigningKey[] {
    return this.keys;
  }

  /** A trusted key by `kid`; reads the store again (rate-limited) when it is not known yet. */
  async byId(id: string): Promise<SigningKey | undefined> {
    const known = this.keys.find((key) => key.id === id);
    if (known !== undefined || this.options.keyFile !== undefined || this.now() - this.lastReread < MISS_REREAD_MS) return known;
    await this.refresh();
    return this.keys.find((key) => key.id === id);
  }

  /** The PEM bundle of every trusted key's certificate: an external registry's `auth.token.rootcertbundle`. */
  certificatesPem(): string {
    return this.keys.map((key) => key.certificatePem.trim()).join('\n') + '\n';
  }

  /** The trusted public keys as a JWKS document. */
  jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: this.keys.map((key) => ({ ...key.publicKey.export({ format: 'jwk' }), kid: key.id, alg: key.alg, use: 'sig' })) };
  }

  /** Makes a new current key now (stored keys only). */
  async rotate(): Promise<SigningKey> {
    if (this.options.keyFile !== undefined) throw new SigningKeyError('SIGNING_KEY_FIXED', 'the signing key comes from auth.token.builtin.signingkey: replace that file to rotate');
    await this.createKey();
    await this.reread();
    return this.current();
  }

  /** Reads the store, makes the first or a rotated key when due, deletes keys no token can still need. */
  async refresh(): Promise<void> {
    if (this.options.keyFile !== undefined) return;
    await this.reread();
    const newest = this.keys[this.keys.length - 1];
    const due = newest === undefined || (this.options.rotationMs > 0 && this.now() - newest.createdAt >= this.options.rotationMs);
    if (due) {
      await this.createKey();
      await this.reread();
      if (newest !== undefined) this.options.log.info({ kid: this.current().id, previous: newest.id }, 'token signing key rotated');
    }
    await this.retire();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private async reread(): Promise<void> {
    this.lastReread = this.now();
    const stored = await listStored(this.options.driver);
    this.keys = stored.map(keyFromStored).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  private async createKey(): Promise<void> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = libtrustKeyId(publicKey);
    const createdAt = this.now();
    const certificatePem = await selfSignedCertificate(privateKey, publicKey, new Date(createdAt));
    const stored: StoredKey = { id, alg: 'ES256', createdAt: new Date(createdAt).toISOString(), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certificatePem };
    await this.options.driver.putContent(pathFor({ kind: 'signingKey', id: fileIdOf(id) }), Buffer.from(`${JSON.stringify(stored, null, 2)}\n`));
  }

  /** A key replaced longer ago than any token lives is deleted (its successor's age tells when it was replaced). */
  private async retire(): Promise<void> {
    const keep = Math.max(this.options.tokenLifetimeS * 1000, this.options.refreshLifetimeMs) + 60_000;
    const doomed = this.keys.filter((key, i) => {
      const successor = this.keys[i + 1];
      return successor !== undefined && this.now() - successor.createdAt > keep;
    });
    for (const key of doomed) {
      await this.options.driver.delete(pathFor({ kind: 'signingKey', id: fileIdOf(key.id) })).catch((err: unknown) => {
        if (!isPathNotFound(err)) throw err;
      });
      this.options.log.info({ kid: key.id }, 'retired token signing key deleted (every token it signed has expired)');
    }
    if (doomed.length > 0) this.keys = this.keys.filter((key) => !doomed.includes(key));
  }
}

/** The libtrust id with its ":" as "-": a file name. */
function fileIdOf(id: string): string {
  return id.replaceAll(':', '-');
}

async function listStored(driver: StorageDriver): Promise<StoredKey[]> {
  let paths: string[];
  try {
    paths = await driver.list(pathFor({ kind: 'signingKeysRoot' }));
  } catch (err) {
    if (isPathNotFound(err)) return [];
    throw err;
  }
  const keys: StoredKey[] = [];
  for (const path of paths.filter((p) => p.endsWith('.json'))) {
    try {
      keys.push(JSON.parse((await driver.getContent(path)).toString('utf8')) as StoredKey);
    } catch (err) {
      // Deleted by another replica between the listing and the read.
      if (!isPathNotFound(err)) throw err;
    }
  }
  return keys;
}

function keyFromStored(stored: StoredKey): SigningKey {
  const privateKey = createPrivateKey(stored.privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  return { id: stored.id, alg: stored.alg, privateKey, publicKey, certificatePem: stored.certificatePem, x5c: x5cOf(stored.certificatePem), createdAt: Date.parse(stored.createdAt) };
}

async function keyFromFile(path: string, now: number): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigningKeyError('CONFIG_INVALID', `invalid configuration: auth.token.builtin.signingkey: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new SigningKeyError('CONFIG_INVALID', `invalid configuration: auth.token.builtin.signingkey: ${path} is not a PEM private key`);
  }
  const publicKey = createPublicKey(privateKey);
  const details = privateKey.asymmetricKeyDetails;
  let alg: SigningAlgorithm;
  if (privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') alg = 'ES256';
  else if (privateKey.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) alg = 'RS256';
  else throw new SigningKeyError('CONFIG_INVALID', `invalid configuration: auth.token.builtin.signingkey: ${path} must hold an EC P-256 or an RSA (2048 bits or more) key`);
  const certificatePem = await selfSignedCertificate(privateKey, publicKey, new Date(now));
  return { id: libtrustKeyId(publicKey), alg, privateKey, publicKey, certificatePem, x5c: x5cOf(certificatePem), createdAt: now };
}

function x5cOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).raw.toString('base64');
}
