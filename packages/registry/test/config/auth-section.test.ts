// The `auth` section: distribution's htpasswd and token keys, our built-in token service, groups, the access
// policy and the rate limit, with their defaults and a message naming the key for every mistake.
import { expect } from 'chai';
import { expectInvalid, parse, withVersion } from './config-test-helpers.js';

function auth(yaml: string): ReturnType<typeof parse>['config']['auth'] {
  return parse(withVersion(`auth:\n${yaml}`)).config.auth;
}

const HTPASSWD = '  htpasswd:\n    path: /etc/registry/htpasswd\n';

describe('config: the auth section', () => {
  it('is absent without an auth section: an open registry', () => {
    expect(parse(withVersion('')).config.auth).to.equal(undefined);
  });

  it('fills defaults: realm, bcrypt cost, rate limit, no policy', () => {
    expect(auth(HTPASSWD)).to.deep.equal({
      htpasswd: { realm: 'private-registry', path: '/etc/registry/htpasswd', bcryptCost: 10 },
      token: undefined,
      groups: {},
      access: undefined,
      rateLimit: { addressBurst: 10, userBurst: 20, refillMs: 6_000 },
    });
  });

  it('reads the built-in token service with its defaults, and `builtin: true` as all defaults', () => {
    const expected = {
      realm: undefined,
      service: 'private-registry',
      issuer: 'private-registry',
      rootCertBundle: undefined,
      jwks: undefined,
      builtin: { expirationS: 300, refreshExpirationMs: 720 * 3_600_000, signingKey: undefined, rotationMs: 720 * 3_600_000 },
    };
    expect(auth(`${HTPASSWD}  token:\n    builtin: {}\n`)?.token).to.deep.equal(expected);
    expect(auth(`${HTPASSWD}  token:\n    builtin: true\n`)?.token).to.deep.equal(expected);
    expect(auth(`${HTPASSWD}  token:\n    service: reg\n    builtin:\n      expiration: 15m\n      rotation: 0s\n      signingkey: /k.pem\n`)?.token).to.deep.include({
      service: 'reg',
      builtin: { expirationS: 900, refreshExpirationMs: 720 * 3_600_000, signingKey: '/k.pem', rotationMs: 0 },
    });
    expect(auth(`${HTPASSWD}  token:\n    builtin: false\n    realm: https://a/token\n    service: s\n    issuer: i\n    jwks: /j.json\n`)?.token?.builtin).to.equal(undefined);
  });

  it('reads groups and access rules in order, actions in lower case', () => {
    const config = auth(`${HTPASSWD}  groups:\n    readers: [a, b]\n  access:\n    - repository: ci/**\n      users: [ci]\n      actions: [Pull, push]\n    - repository: [ci/**, cache/*]\n      groups: [readers]\n      actions: pull\n    - repository: public/*\n      anonymous: true\n      actions: [pull]\n`);
    expect(config?.groups).to.deep.equal({ readers: ['a', 'b'] });
    expect(config?.access).to.deep.equal([
      { repositories: ['ci/**'], users: ['ci'], groups: [], anonymous: false, actions: ['pull', 'push'], index: 0 },
      { repositories: ['ci/**', 'cache/*'], users: [], groups: ['readers'], anonymous: false, actions: ['pull'], index: 1 },
      { repositories: ['public/*'], users: [], groups: [], anonymous: true, actions: ['pull'], index: 2 },
    ]);
  });

  it('takes REGISTRY_AUTH_* variables', () => {
    const { config } = parse(withVersion(''), { REGISTRY_AUTH_HTPASSWD_PATH: '/h', REGISTRY_AUTH_HTPASSWD_REALM: 'R', REGISTRY_AUTH_RATELIMIT_ADDRESSBURST: '3' });
    expect(config.auth?.htpasswd).to.deep.equal({ realm: 'R', path: '/h', bcryptCost: 10 });
    expect(config.auth?.rateLimit.addressBurst).to.equal(3);
  });

  const failures: Array<[string, string, string]> = [
    ['  htpasswd:\n    realm: r\n', 'auth.htpasswd.path', 'is required'],
    [`  htpasswd:\n    path: /h\n    cost: 3\n`, 'auth.htpasswd.cost', 'not a bcrypt cost'],
    ['  token:\n    service: s\n    issuer: i\n    rootcertbundle: /b\n', 'auth.token.realm', 'is required'],
    ['  token:\n    realm: https://a/t\n    service: s\n    issuer: i\n', 'auth.token', 'rootcertbundle or jwks is required'],
    ['  token:\n    realm: auth.example.com\n    builtin: {}\n', 'auth.token.realm', 'not an absolute http(s) URL'],
    ['  token:\n    realm: https://a/t\n    issuer: i\n    rootcertbundle: /b\n', 'auth.token.service', 'is required'],
    ['  token:\n    realm: https://a/t\n    service: s\n    rootcertbundle: /b\n', 'auth.token.issuer', 'is required'],
    ['  token:\n    builtin:\n      expiration: 0s\n', 'auth.token.builtin.expiration', 'at least 1s'],
    [`${HTPASSWD}  access:\n    - users: [a]\n      actions: [pull]\n`, 'auth.access[0].repository', 'is required'],
    [`${HTPASSWD}  access:\n    - repository: a\n      users: [a]\n`, 'auth.access[0].actions', 'is required'],
    [`${HTPASSWD}  access:\n    - repository: a\n      actions: [pull]\n`, 'auth.access[0]', 'name users, groups, or anonymous: true'],
    [`${HTPASSWD}  access:\n    - repository: CI/**\n      users: [a]\n      actions: [pull]\n`, 'auth.access[0].repository', 'is not a repository glob'],
    [`${HTPASSWD}  access:\n    - repository: ../x\n      users: [a]\n      actions: [pull]\n`, 'auth.access[0].repository', 'is not a repository glob'],
    [`${HTPASSWD}  access:\n    - repository: a\n      users: [a]\n      actions: [pull, fly]\n`, 'auth.access[0].actions', '"fly" is not one of'],
    [`${HTPASSWD}  access:\n    - repository: a\n      groups: [nobody]\n      actions: [pull]\n`, 'auth.access[0].groups', 'is not defined in auth.groups'],
    ['  silly:\n    realm: r\n    service: s\n', 'auth.silly', 'not supported'],
    ['  none: {}\n', 'auth.none', 'not supported'],
    ['  groups: {}\n', 'auth', 'configure htpasswd, token, or both'],
    [`${HTPASSWD}  ratelimit:\n    addressburst: 0\n`, 'auth.ratelimit.addressburst', 'at least 1'],
  ];
  for (const [yaml, key, fragment] of failures) {
    it(`refuses ${key}: ${fragment}`, () => {
      expectInvalid(() => parse(withVersion(`auth:\n${yaml}`)), key, fragment);
    });
  }
});
