// The Authorization header, read without trusting it: a scheme, then Basic user:password or a bearer token.
// Anything malformed is "no valid credentials" (a 401 with the challenge), never an exception with the value.

/** Longer Authorization values are refused unread (a JWT with many scopes stays far below). */
export const MAX_AUTHORIZATION_LENGTH = 8192;
const MAX_USER_LENGTH = 255;
const MAX_PASSWORD_LENGTH = 1024;

export type Credentials =
  | { kind: 'none' }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'bearer'; token: string }
  /** Present but unusable; `reason` is for logs and never holds the value. */
  | { kind: 'malformed'; reason: string };

export function readCredentials(header: string | undefined): Credentials {
  if (header === undefined || header === '') return { kind: 'none' };
  if (header.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed', reason: 'Authorization header too long' };
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    return /^[A-Za-z0-9._~+/-]+=*$/.test(value) ? { kind: 'bearer', token: value } : { kind: 'malformed', reason: 'malformed bearer token' };
  }
  if (scheme !== 'basic') return { kind: 'malformed', reason: 'unsupported authorization scheme' };
  return decodeBasic(value);
}

/** user:password from a Basic value (also the token endpoint's form fields go through the same limits). */
export function decodeBasic(value: string): Credentials {
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return { kind: 'malformed', reason: 'malformed basic credentials' };
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { kind: 'malformed', reason: 'malformed basic credentials' };
  return checkedPair(decoded.slice(0, colon), decoded.slice(colon + 1));
}

export function checkedPair(user: string, password: string): Credentials {
  // Control characters never appear in a name or a password a client would send on purpose.
  // eslint-disable-next-line no-control-regex
  if (user.length > MAX_USER_LENGTH || /[\x00-\x1f\x7f:]/.test(user) || user === '') return { kind: 'malformed', reason: 'malformed user name' };
  if (password.length > MAX_PASSWORD_LENGTH || password === '') return { kind: 'malformed', reason: 'malformed password' };
  return { kind: 'basic', user, password };
}
