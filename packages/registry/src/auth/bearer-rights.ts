// What a bearer token allows in one repository: the actions of its `access` entries of type "repository"
// naming exactly that repository. A token from an external server speaks the Docker token specification,
// where `push` may move tags: there it also grants overwrite. Our own service writes `overwrite` out.
import { ACTIONS, isActionWord, NO_RIGHTS, rightsOf, type ActionWord, type Rights } from './access-rights.js';
import type { TokenAccess } from './principal.js';

export function bearerRights(access: readonly TokenAccess[], name: string, builtin: boolean): Rights | undefined {
  let found = false;
  const words: ActionWord[] = [];
  for (const entry of access) {
    if (entry.type !== 'repository' || entry.name !== name) continue;
    found = true;
    for (const action of entry.actions) {
      if (!isActionWord(action)) continue;
      words.push(action);
      if (action === 'push' && !builtin) words.push('overwrite');
    }
  }
  if (!found) return undefined;
  return words.length === 0 ? NO_RIGHTS : rightsOf(words);
}

/** The action words a token entry lists for these rights (admin as `*`). */
export function tokenActions(rights: Rights): string[] {
  if (rights.admin) return ['*'];
  return ACTIONS.filter((action) => rights.actions.has(action));
}

/** True when a token grants registry-wide listing (`registry:catalog:*`). */
export function grantsCatalog(access: readonly TokenAccess[]): boolean {
  return access.some((entry) => entry.type === 'registry' && entry.name === 'catalog' && entry.actions.includes('*'));
}
