// Signs the built-in token service's JWTs (jose): access tokens as the Docker token specification describes
// them (iss, sub, aud, exp, nbf, iat, jti, access; `kid` and `x5c` in the header, so CNCF distribution finds
// the key either way), and refresh tokens, which carry `token_use: "refresh"` and are never accepted as
// access tokens (nor access tokens as refresh tokens).
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, decodeProtectedHeader } from 'jose';
import type { IssuedToken, TokenSigner } from './auth-services.js';
import type { TokenAccess } from './principal.js';
import type { SigningKeys } from './signing-keys.js';

export const REFRESH_TOKEN_USE = 'refresh';
/** Leeway for clocks a little apart (issuer and a registry on another host). */
export const CLOCK_TOLERANCE_S = 60;

export interface TokenIssuerOptions {
  issuer: string;
  expirationS: number;
  refreshExpirationMs: number;
  now?: () => number;
}

export class TokenIssuer implements TokenSigner {
  constructor(
    private readonly keys: SigningKeys,
    private readonly options: TokenIssuerOptions,
  ) {}

  async issue(claims: { subject: string; audience: string; access: TokenAccess[] }): Promise<IssuedToken> {
    const key = this.keys.current();
    const now = this.nowS();
    const token = await new SignJWT({ access: claims.access })
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.id, x5c: [key.x5c] })
      .setIssuer(this.options.issuer)
      .setSubject(claims.subject)
      .setAudience(claims.audience)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + this.options.expirationS)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key.privateKey);
    return { token, expiresIn: this.options.expirationS, issuedAt: new Date(now * 1000).toISOString() };
  }

  async issueRefresh(subject: string, audience: string): Promise<string> {
    const key = this.keys.current();
    const now = this.nowS();
    return new SignJWT({ token_use: REFRESH_TOKEN_USE })
      .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.id })
      .setIssuer(this.options.issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now - 1)
      .setExpirationTime(now + Math.floor(this.options.refreshExpirationMs / 1000))
      .setJti(randomBytes(16).toString('base64url'))
      .sign(key.privateKey);
  }

  async verifyRefresh(token: string, audience: string): Promise<{ subject: string }> {
    const { kid } = decodeProtectedHeader(token);
    const key = kid === undefined ? undefined : await this.keys.byId(kid);
    if (key === undefined) throw new Error('refresh token signed by an unknown key');
    const { payload } = await jwtVerify(token, key.publicKey, {
      issuer: this.options.issuer,
      audience,
      algorithms: [key.alg],
      clockTolerance: CLOCK_TOLERANCE_S,
      currentDate: new Date(this.nowS() * 1000),
    });
    if (payload.token_use !== REFRESH_TOKEN_USE || typeof payload.sub !== 'string' || payload.sub === '') throw new Error('not a refresh token');
    return { subject: payload.sub };
  }

  private nowS(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }
}
