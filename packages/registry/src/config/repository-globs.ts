// The `repository:` key of access rules and retention policies: one or more repository globs, required.
import { isRepositoryGlob } from '../auth/repository-glob.js';
import type { ConfigSection } from './config-section.js';

export function readRepositoryGlobs(rule: ConfigSection, name = 'repository'): string[] {
  const repositories = rule.stringList(name) ?? [];
  if (repositories.length === 0) rule.fail(name, 'is required: a repository name or glob ("ci/**", "cache/*", "**")');
  for (const glob of repositories) {
    if (!isRepositoryGlob(glob)) rule.fail(name, `${JSON.stringify(glob)} is not a repository glob (lower-case name components, "/", "*" and "**")`);
  }
  return repositories;
}
