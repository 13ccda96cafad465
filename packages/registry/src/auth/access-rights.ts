// What a caller may do in a repository. `push` creates new tags and uploads blobs; `overwrite` also moves
// an existing tag (without it tags are immutable); `admin` is every action plus the registry-wide ones.
export const ACTIONS = ['pull', 'push', 'overwrite', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/** The words a rule, a robot token's scope or a token request may use. `*` is the Docker token spec's "everything". */
export const ACTION_WORDS = [...ACTIONS, 'admin', '*'] as const;
export type ActionWord = (typeof ACTION_WORDS)[number];

export interface Rights {
  actions: ReadonlySet<Action>;
  /** The admin role: every action, in every repository the grant covers, and registry-wide listings. */
  admin: boolean;
}

export const NO_RIGHTS: Rights = { actions: new Set(), admin: false };

export function isActionWord(word: string): word is ActionWord {
  return (ACTION_WORDS as readonly string[]).includes(word);
}

/** Rights from action words (`admin` and `*` mean every action). Unknown words must be refused before. */
export function rightsOf(words: Iterable<ActionWord>): Rights {
  const actions = new Set<Action>();
  let admin = false;
  for (const word of words) {
    if (word === 'admin' || word === '*') {
      admin = true;
      for (const action of ACTIONS) actions.add(action);
    } else {
      actions.add(word);
    }
  }
  return { actions, admin };
}

/** The union of several grants (rules that tie, a user's groups). */
export function unionRights(all: Iterable<Rights>): Rights {
  const actions = new Set<Action>();
  let admin = false;
  for (const rights of all) {
    for (const action of rights.actions) actions.add(action);
    admin ||= rights.admin;
  }
  return { actions, admin };
}
