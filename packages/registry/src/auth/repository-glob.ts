// Globs over repository names, as the access policy and robot-token scopes write them: `*` matches within
// one path component ("cache/*" is cache/app but not cache/a/b), `**` any number of components ("ci/**" is
// ci/app and ci/a/b, and ci itself), anything else matches itself. What a glob may be, and how specific it
// is; matching is in repository-matcher.ts (picomatch, loaded only with auth on).

const GLOB = /^(?:\*\*|[a-z0-9*][a-z0-9._*-]*)(?:\/(?:\*\*|[a-z0-9*][a-z0-9._*-]*))*$/;

/** True for a pattern the policy accepts: lower-case name characters, "/" between components, "*" and "**". */
export function isRepositoryGlob(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 255 && GLOB.test(pattern) && !/\*\*\*/.test(pattern);
}

/**
 * How specific a glob is, as a tuple compared left to right (greater is more specific): an exact name beats
 * any pattern; then more literal characters before the first wildcard; then fewer "**"; then fewer "*";
 * then the longer pattern. Two rules that tie here are decided by their order in the file.
 */
export function globSpecificity(pattern: string): [number, number, number, number, number] {
  const firstWildcard = pattern.indexOf('*');
  const exact = firstWildcard === -1 ? 1 : 0;
  const literalPrefix = firstWildcard === -1 ? pattern.length : firstWildcard;
  const doubleStars = pattern.split('**').length - 1;
  const singleStars = pattern.split('*').length - 1 - 2 * doubleStars;
  return [exact, literalPrefix, -doubleStars, -singleStars, pattern.length];
}

/** Compares two specificity tuples: > 0 when `a` is more specific. */
export function compareSpecificity(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
