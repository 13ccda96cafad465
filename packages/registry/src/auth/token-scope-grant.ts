// A robot token's scope as written on the command line and stored: `ci/**:pull,push` (a repository glob, a
// colon, comma-separated actions: pull, push, overwrite, delete, admin).
import { CodedError } from '@private-registry/core';
import { ACTIONS, isActionWord, rightsOf, type ActionWord } from './access-rights.js';
import type { ScopeGrant } from './principal.js';
import { isRepositoryGlob } from './repository-glob.js';

export class ScopeSyntaxError extends CodedError {
  constructor(message: string) {
    super('SCOPE_INVALID', message);
  }
}

export function parseScope(text: string): ScopeGrant {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new ScopeSyntaxError(`scope ${JSON.stringify(text)}: expected REPOSITORY-GLOB:ACTIONS, e.g. "ci/**:pull,push"`);
  const repository = text.slice(0, colon);
  if (!isRepositoryGlob(repository)) throw new ScopeSyntaxError(`scope ${JSON.stringify(text)}: ${JSON.stringify(repository)} is not a repository glob (lower-case name components, "/", "*" and "**")`);
  const words = text.slice(colon + 1).split(',').map((word) => word.trim().toLowerCase());
  if (words.length === 0 || words.some((word) => word === '')) throw new ScopeSyntaxError(`scope ${JSON.stringify(text)}: no actions after ":"`);
  for (const word of words) {
    if (!isActionWord(word) || word === '*') throw new ScopeSyntaxError(`scope ${JSON.stringify(text)}: ${JSON.stringify(word)} is not one of pull, push, overwrite, delete, admin`);
  }
  return { repository, rights: rightsOf(words as ActionWord[]) };
}

export function formatScope(grant: ScopeGrant): string {
  const actions = grant.rights.admin ? ['admin'] : ACTIONS.filter((action) => grant.rights.actions.has(action));
  return `${grant.repository}:${actions.join(',')}`;
}
