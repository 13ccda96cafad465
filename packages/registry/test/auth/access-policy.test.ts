import { expect } from 'chai';
import { AccessPolicy } from '../../src/auth/access-policy.js';
import type { AccessRule } from '../../src/config/registry-config.js';

function rule(index: number, repositories: string[], actions: string[], who: Partial<Pick<AccessRule, 'users' | 'groups' | 'anonymous'>>): AccessRule {
  return { repositories, actions, users: who.users ?? [], groups: who.groups ?? [], anonymous: who.anonymous ?? false, index };
}

function actionsOf(policy: AccessPolicy, user: string | undefined, name: string): string[] {
  const rights = policy.rights(user === undefined ? { kind: 'anonymous' } : { kind: 'user', name: user }, name);
  const list: string[] = [...rights.actions].sort();
  return rights.admin ? [...list, 'admin'] : list;
}

describe('access policy', () => {
  const policy = new AccessPolicy(
    [
      rule(0, ['ci/**'], ['pull', 'push'], { users: ['ci'] }),
      rule(1, ['cache/**'], ['pull', 'push', 'overwrite', 'delete'], { users: ['cache'] }),
      rule(2, ['ci/**', 'cache/**'], ['pull'], { groups: ['readers'] }),
      rule(3, ['**'], ['admin'], { users: ['admin'] }),
      rule(4, ['ci/base'], ['pull'], { users: ['ci'] }),
      rule(5, ['public/*'], ['pull'], { anonymous: true }),
      rule(6, ['shared/**'], ['pull'], { users: ['*'] }),
      rule(7, ['shared/**'], ['push'], { groups: ['readers'] }),
    ],
    { readers: ['reader', 'ci'] },
  );

  it('grants a user what its rule names, nothing elsewhere (default deny)', () => {
    expect(actionsOf(policy, 'ci', 'ci/app')).to.deep.equal(['pull', 'push']);
    expect(actionsOf(policy, 'ci', 'ci/a/b/c')).to.deep.equal(['pull', 'push']);
    expect(actionsOf(policy, 'ci', 'other/app')).to.deep.equal([]);
    expect(actionsOf(policy, 'cache', 'ci/app')).to.deep.equal([]);
    expect(actionsOf(policy, 'nobody', 'ci/app')).to.deep.equal([]);
  });

  it('gives group members the group rule', () => {
    expect(actionsOf(policy, 'reader', 'cache/x')).to.deep.equal(['pull']);
    expect(actionsOf(policy, 'reader', 'ci/x')).to.deep.equal(['pull']);
  });

  it('lets the most specific glob win: an exact name beats ci/**', () => {
    expect(actionsOf(policy, 'ci', 'ci/base')).to.deep.equal(['pull']);
  });

  it('unites rules tied in specificity (a user rule and a group rule on the same glob)', () => {
    expect(actionsOf(policy, 'ci', 'ci/app')).to.include('push');
    expect(actionsOf(policy, 'reader', 'shared/x')).to.deep.equal(['pull', 'push']);
    expect(actionsOf(policy, 'cache', 'shared/x')).to.deep.equal(['pull']);
  });

  it('makes admin every action, everywhere its glob covers', () => {
    expect(actionsOf(policy, 'admin', 'anything/at/all')).to.deep.equal(['delete', 'overwrite', 'pull', 'push', 'admin']);
  });

  it('applies anonymous rules to callers without credentials only', () => {
    expect(actionsOf(policy, undefined, 'public/app')).to.deep.equal(['pull']);
    expect(actionsOf(policy, undefined, 'public/a/b')).to.deep.equal([]);
    expect(actionsOf(policy, undefined, 'ci/app')).to.deep.equal([]);
    expect(actionsOf(policy, 'cache', 'public/app')).to.deep.equal([]);
    expect(policy.grantsAnything({ kind: 'anonymous' })).to.equal(true);
    expect(new AccessPolicy([rule(0, ['**'], ['pull'], { users: ['x'] })], {}).grantsAnything({ kind: 'anonymous' })).to.equal(false);
  });

  it('without auth.access gives every authenticated user everything but admin, anonymous nothing', () => {
    const open = new AccessPolicy(undefined, {});
    expect(actionsOf(open, 'someone', 'a/b')).to.deep.equal(['delete', 'overwrite', 'pull', 'push']);
    expect(actionsOf(open, undefined, 'a/b')).to.deep.equal([]);
  });

  it('reports the groups of a user', () => {
    expect(policy.groupsOf('ci')).to.deep.equal(['readers']);
    expect(policy.groupsOf('cache')).to.deep.equal([]);
  });
});
