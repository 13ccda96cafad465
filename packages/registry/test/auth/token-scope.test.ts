import { expect } from 'chai';
import { parseScopes } from '../../src/auth/token-scope.js';
import { grantedActions } from '../../src/auth/token-endpoint.js';
import { rightsOf } from '../../src/auth/access-rights.js';

describe('token request scopes', () => {
  it('reads repository and registry scopes, several in one POST parameter', () => {
    expect(parseScopes(['repository:ci/app:pull,push', 'registry:catalog:*'])).to.deep.equal([
      { type: 'repository', name: 'ci/app', actions: ['pull', 'push'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(parseScopes(['repository:a:pull repository(plugin):b/c:push'])).to.deep.equal([
      { type: 'repository', name: 'a', actions: ['pull'] },
      { type: 'repository', name: 'b/c', actions: ['push'] },
    ]);
  });

  it('refuses invalid names and unknown types', () => {
    for (const bad of ['repository:../x:pull', 'repository:CI/app:pull', 'repository:a', 'nothing', 'user:x:pull', `repository:${'a'.repeat(300)}:pull`]) {
      expect(() => parseScopes([bad]), bad).to.throw(/scope/);
    }
  });
});

describe('what a token grants', () => {
  it('never more than asked, never more than the rights', () => {
    expect(grantedActions(rightsOf(['pull']), ['pull', 'push'])).to.deep.equal(['pull']);
    expect(grantedActions(rightsOf(['pull', 'push', 'delete']), ['pull'])).to.deep.equal(['pull']);
    expect(grantedActions(rightsOf([]), ['pull'])).to.deep.equal([]);
    expect(grantedActions(rightsOf(['pull', 'push', 'delete']), ['delete'])).to.deep.equal(['delete']);
  });

  it('brings overwrite with push when granted (docker has no word for it)', () => {
    expect(grantedActions(rightsOf(['pull', 'push', 'overwrite']), ['pull', 'push'])).to.deep.equal(['pull', 'push', 'overwrite']);
    expect(grantedActions(rightsOf(['pull', 'push']), ['pull', 'push'])).to.deep.equal(['pull', 'push']);
  });

  it('answers * with everything granted', () => {
    expect(grantedActions(rightsOf(['admin']), ['*'])).to.deep.equal(['*']);
    expect(grantedActions(rightsOf(['pull', 'push']), ['*'])).to.deep.equal(['pull', 'push']);
  });
});
