// Matching repository names against the policy's globs (see repository-glob.ts for what a glob is): picomatch.
import picomatch from 'picomatch';

export type RepositoryMatcher = (name: string) => boolean;

/** A matcher for one glob; "ci/**" also matches "ci". */
export function repositoryMatcher(pattern: string): RepositoryMatcher {
  const match = picomatch(pattern, { dot: true, nobrace: true, noextglob: true });
  if (!pattern.endsWith('/**')) return match;
  const parent = pattern.slice(0, -3);
  const matchParent = picomatch(parent, { dot: true, nobrace: true, noextglob: true });
  return (name) => match(name) || matchParent(name);
}
