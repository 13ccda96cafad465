// Verifies bearer JWTs (jose): from our own token service (its keys, by `kid`) and/or from an external
// token server trusted by a PEM bundle (`rootcertbundle`: the key found by libtrust `kid`, or an `x5c`
// chain that verifies against the bundle) or a JWKS file. Only asymmetric algorithms; issuer, audience
// (the service), expiry and not-before are checked with a minute of leeway. Errors say why, never the token.
import { X509Certificate, createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { CodedError, type Logger } from '@private-registry/core';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { BearerVerifier, VerifiedBearer } from './auth-services.js';
import { libtrustKeyId } from './libtrust-key-id.js';
import type { TokenAccess } from './principal.js';
import type { SigningKeys } from './signing-keys.js';
import { CLOCK_TOLERANCE_S, REFRESH_TOKEN_USE } from './token-issuer.js';

/** Verified tokens remembered (by SHA-256, never the token), so a 20-layer pull costs one signature check. */
const VERIFIED_CACHE_ENTRIES = 10_000;

const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'];
/** How often the trust files are checked for changes. */
const FILE_CHECK_MS = 5_000;

export class TokenInvalidError extends CodedError {
  constructor(reason: string) {
    super('TOKEN_INVALID', reason);
  }
}

export interface TokenVerifierOptions {
  issuer: string;
  service: string;
  rootCertBundle?: string;
  jwks?: string;
  ownKeys?: SigningKeys;
  log: Logger;
  clockToleranceS?: number;
  now?: () => number;
}

interface TrustFile<T> {
  path: string;
  signature: string;
  value: T;
  checkedAt: number;
}

export class TokenVerifier implements BearerVerifier {
  private bundle: TrustFile<Array<{ certificate: X509Certificate; id: string }>> | undefined;
  private jwks: TrustFile<ReturnType<typeof createLocalJWKSet>> | undefined;
  /** sha256(token) → what it verified to, until its `exp`. */
  private readonly verified = new Map<string, { result: VerifiedBearer; expiresAtMs: number }>();

  private constructor(private readonly options: TokenVerifierOptions) {}

  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    const verifier = new TokenVerifier(options);
    if (options.rootCertBundle !== undefined) verifier.bundle = await loadBundle(options.rootCertBundle, verifier.now());
    if (options.jwks !== undefined) verifier.jwks = await loadJwks(options.jwks, verifier.now());
    return verifier;
  }

  async verify(token: string): Promise<VerifiedBearer> {
    if (this.bundle !== undefined || this.jwks !== undefined) await this.refreshTrust();
    const cacheKey = createHash('sha256').update(token).digest('base64');
    const hit = this.verified.get(cacheKey);
    if (hit !== undefined) {
      if (hit.expiresAtMs > this.now()) return hit.result;
      this.verified.delete(cacheKey);
    }
    const result = await this.verifyUncached(token);
    if (this.verified.size >= VERIFIED_CACHE_ENTRIES) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(cacheKey, { result: result.verified, expiresAtMs: result.expiresAtMs });
    return result.verified;
  }

  private async verifyUncached(token: string): Promise<{ verified: VerifiedBearer; expiresAtMs: number }> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenInvalidError('malformed token');
    }
    if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) throw new TokenInvalidError(`algorithm ${JSON.stringify(String(header.alg).slice(0, 20))} is not accepted`);
    const { key, builtin } = await this.keyFor(header);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, {
        issuer: this.options.issuer,
        audience: this.options.service,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceS ?? CLOCK_TOLERANCE_S,
        currentDate: new Date(this.now()),
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new TokenInvalidError(reasonOf(err));
    }
    if (payload.token_use === REFRESH_TOKEN_USE) throw new TokenInvalidError('a refresh token is not an access token');
    const verified = { subject: typeof payload.sub === 'string' ? payload.sub : '', issuer: payload.iss ?? '', access: accessOf(payload.access), builtin };
    // Remembered until it expires (without the clock leeway: a cached answer is never more lenient).
    return { verified, expiresAtMs: (payload.exp as number) * 1000 };
  }

  close(): void {}

  /** Re-reads changed trust files (checked every few seconds); new trust empties the verified cache. */
  private async refreshTrust(): Promise<void> {
    const now = this.now();
    if (this.bundle !== undefined) {
      const bundle = await refreshed(this.bundle, now, loadBundle, this.options.log);
      if (bundle !== this.bundle) this.verified.clear();
      this.bundle = bundle;
    }
    if (this.jwks !== undefined) {
      const jwks = await refreshed(this.jwks, now, loadJwks, this.options.log);
      if (jwks !== this.jwks) this.verified.clear();
      this.jwks = jwks;
    }
  }

  private async keyFor(header: ReturnType<typeof decodeProtectedHeader>): Promise<{ key: KeyObject | Parameters<typeof jwtVerify>[1]; builtin: boolean }> {
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (kid !== undefined && this.options.ownKeys !== undefined) {
      const own = await this.options.ownKeys.byId(kid);
      if (own !== undefined) return { key: own.publicKey, builtin: true };
    }
    if (this.options.rootCertBundle !== undefined) {
      const bundle = this.bundle as TrustFile<Array<{ certificate: X509Certificate; id: string }>>;
      const byKid = kid === undefined ? undefined : bundle.value.find((entry) => entry.id === kid);
      if (byKid !== undefined) return { key: byKid.certificate.publicKey, builtin: false };
      const chained = Array.isArray(header.x5c) ? verifiedLeaf(header.x5c, bundle.value.map((entry) => entry.certificate), this.now()) : undefined;
      if (chained !== undefined) return { key: chained, builtin: false };
    }
    if (this.options.jwks !== undefined) {
      return { key: (this.jwks as TrustFile<ReturnType<typeof createLocalJWKSet>>).value, builtin: false };
    }
    throw new TokenInvalidError(kid === undefined ? 'the token names no key this registry trusts' : 'signed by a key this registry does not trust');
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} is not valid here (${err.reason})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not accepted';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'signed by a key this registry does not trust';
  return 'invalid token';
}

function accessOf(value: unknown): TokenAccess[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null)
    .map((entry) => ({
      type: typeof entry.type === 'string' ? entry.type : '',
      name: typeof entry.name === 'string' ? entry.name : '',
      actions: Array.isArray(entry.actions) ? entry.actions.filter((a): a is string => typeof a === 'string') : [],
    }));
}

/** The leaf of an `x5c` chain when every link verifies and the last one is, or is issued by, a trusted certificate. */
function verifiedLeaf(x5c: unknown[], roots: readonly X509Certificate[], now: number): KeyObject | undefined {
  try {
    const chain = x5c.map((der) => new X509Certificate(Buffer.from(String(der), 'base64')));
    const date = new Date(now);
    for (const certificate of chain) if (new Date(certificate.validFrom) > date || new Date(certificate.validTo) < date) return undefined;
    for (let i = 0; i + 1 < chain.length; i += 1) {
      const [child, parent] = [chain[i] as X509Certificate, chain[i + 1] as X509Certificate];
      if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) return undefined;
    }
    const top = chain[chain.length - 1];
    if (top === undefined) return undefined;
    const anchored = roots.some((root) => root.fingerprint256 === top.fingerprint256 || (top.checkIssued(root) && top.verify(root.publicKey)));
    return anchored ? (chain[0] as X509Certificate).publicKey : undefined;
  } catch {
    return undefined;
  }
}

async function signatureOf(path: string): Promise<string> {
  const info = await stat(path);
  return `${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** Reloads a trust file when it changed (checked at most every few seconds); keeps the old one if the new one is broken. */
async function refreshed<T>(current: TrustFile<T> | undefined, now: number, load: (path: string, now: number) => Promise<TrustFile<T>>, log: Logger): Promise<TrustFile<T>> {
  if (current === undefined) throw new TokenInvalidError('no trust configured');
  if (now - current.checkedAt < FILE_CHECK_MS) return current;
  current.checkedAt = now;
  try {
    if ((await signatureOf(current.path)) === current.signature) return current;
    const next = await load(current.path, now);
    log.info({ file: current.path }, 'token trust file reloaded');
    return next;
  } catch (err) {
    log.warn({ file: current.path, err: err instanceof Error ? err.message : String(err) }, 'token trust file changed but cannot be read: keeping the previous one');
    return current;
  }
}

async function loadBundle(path: string, now: number): Promise<TrustFile<Array<{ certificate: X509Certificate; id: string }>>> {
  const signature = await signatureOf(path).catch(() => {
    throw new CodedError('CONFIG_INVALID', `invalid configuration: auth.token.rootcertbundle: cannot read ${path}`);
  });
  const text = await readFile(path, 'utf8');
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new CodedError('CONFIG_INVALID', `invalid configuration: auth.token.rootcertbundle: ${path} holds no PEM certificate`);
  const value = blocks.map((pem) => {
    const certificate = new X509Certificate(pem);
    return { certificate, id: libtrustKeyId(createPublicKey(certificate.publicKey.export({ type: 'spki', format: 'pem' }))) };
  });
  return { path, signature, value, checkedAt: now };
}

async function loadJwks(path: string, now: number): Promise<TrustFile<ReturnType<typeof createLocalJWKSet>>> {
  const signature = await signatureOf(path).catch(() => {
    throw new CodedError('CONFIG_INVALID', `invalid configuration: auth.token.jwks: cannot read ${path}`);
  });
  let document: JSONWebKeySet;
  try {
    document = JSON.parse(await readFile(path, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(document.keys)) throw new Error('no keys');
  } catch {
    throw new CodedError('CONFIG_INVALID', `invalid configuration: auth.token.jwks: ${path} is not a JWKS document ({"keys": [...]})`);
  }
  return { path, signature, value: createLocalJWKSet(document), checkedAt: now };
}
