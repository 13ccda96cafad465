// The access policy (`auth.access`): for a caller and a repository, the rights the most specific matching
// rule grants. Rules are first narrowed to those that apply to the caller (its user name, "*" for any
// authenticated user, its groups, or anonymous for callers without credentials) and match the repository;
// among those the most specific glob wins (see globSpecificity), and rules tied with it add their actions.
// Nothing matching means no rights: default deny.
import type { AccessRule } from '../config/registry-config.js';
import { isActionWord, NO_RIGHTS, rightsOf, unionRights, type ActionWord, type Rights } from './access-rights.js';
import { compareSpecificity, globSpecificity } from './repository-glob.js';
import { repositoryMatcher, type RepositoryMatcher } from './repository-matcher.js';

interface CompiledRule {
  glob: string;
  match: RepositoryMatcher;
  specificity: number[];
  index: number;
  users: ReadonlySet<string>;
  groups: readonly string[];
  anonymous: boolean;
  rights: Rights;
}

/** Who the policy is asked about: a user name (with the groups it belongs to), or nobody. */
export type PolicySubject = { kind: 'anonymous' } | { kind: 'user'; name: string };

export class AccessPolicy {
  private readonly rules: CompiledRule[];
  private readonly memberOf: Map<string, Set<string>>;

  /**
   * @param rules `auth.access`; undefined gives distribution's htpasswd behaviour: every authenticated user
   *   may pull, push, overwrite and delete everywhere, anonymous callers nothing (no admin role for anyone).
   */
  constructor(rules: readonly AccessRule[] | undefined, groups: Readonly<Record<string, readonly string[]>>) {
    const effective = rules ?? [{ repositories: ['**'], users: ['*'], groups: [], anonymous: false, actions: ['pull', 'push', 'overwrite', 'delete'], index: 0 }];
    this.rules = effective.flatMap((rule) =>
      rule.repositories.map((glob) => ({
        glob,
        match: repositoryMatcher(glob),
        specificity: globSpecificity(glob),
        index: rule.index,
        users: new Set(rule.users),
        groups: rule.groups,
        anonymous: rule.anonymous,
        rights: rightsOf(rule.actions.filter((a): a is ActionWord => isActionWord(a))),
      })),
    );
    this.memberOf = new Map();
    for (const [group, members] of Object.entries(groups)) {
      for (const member of members) {
        const set = this.memberOf.get(member) ?? new Set<string>();
        set.add(group);
        this.memberOf.set(member, set);
      }
    }
  }

  /** What `subject` may do in repository `name`. */
  rights(subject: PolicySubject, name: string): Rights {
    let best: CompiledRule[] = [];
    for (const rule of this.rules) {
      if (!this.appliesTo(rule, subject) || !rule.match(name)) continue;
      const order = best[0] === undefined ? 1 : compareSpecificity(rule.specificity, best[0].specificity);
      if (order > 0) best = [rule];
      else if (order === 0) best.push(rule);
    }
    if (best.length === 0) return NO_RIGHTS;
    return best.length === 1 ? (best[0] as CompiledRule).rights : unionRights(best.map((rule) => rule.rights));
  }

  /** True when some rule could grant `subject` anything at all (anonymous callers with none get a 401, not a 403). */
  grantsAnything(subject: PolicySubject): boolean {
    return this.rules.some((rule) => this.appliesTo(rule, subject) && rule.rights.actions.size > 0);
  }

  /** True when a rule gives `subject` the admin role over every repository (`**`): registry-wide pages are theirs. */
  isRegistryAdmin(subject: PolicySubject): boolean {
    return this.rules.some((rule) => rule.glob === '**' && rule.rights.admin && this.appliesTo(rule, subject));
  }

  /** The groups a user belongs to (for logs and `config check`). */
  groupsOf(user: string): string[] {
    return [...(this.memberOf.get(user) ?? [])].sort();
  }

  private appliesTo(rule: CompiledRule, subject: PolicySubject): boolean {
    if (subject.kind === 'anonymous') return rule.anonymous;
    if (rule.users.has(subject.name) || rule.users.has('*')) return true;
    const groups = this.memberOf.get(subject.name);
    return groups !== undefined && rule.groups.some((group) => groups.has(group));
  }
}
