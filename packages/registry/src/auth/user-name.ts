// Which htpasswd user names we accept: what fits on an htpasswd line and in a Basic header (RFC 7617
// forbids ':' in the user-id), and reads unambiguously in logs and access rules.

export const MAX_USER_NAME_LENGTH = 255;

/** Why `name` cannot be an htpasswd user name, or undefined when it can. */
export function userNameProblem(name: string): string | undefined {
  if (name === '') return 'the user name is empty';
  if (name.length > MAX_USER_NAME_LENGTH) return `the user name is longer than ${MAX_USER_NAME_LENGTH} characters`;
  if (name.includes(':')) return 'the user name contains ":"';
  // \p{Cc}: control characters (including NUL, which the credential cache uses as a separator).
  if (/[\s\p{Cc}]/u.test(name)) return 'the user name contains whitespace or a control character';
  if (name.startsWith('#')) return 'the user name starts with "#" (a comment in an htpasswd file)';
  return undefined;
}
