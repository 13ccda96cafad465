// The `auth` section: distribution's htpasswd and token providers, our built-in token service, groups,
// access rules and the failed-login rate limit, with their defaults; every refusal names the key.
import { expect } from 'chai';
import { expectInvalid, parse, withVersion } from './config-test-helpers.js';

/** The auth config read from an `auth:` section written as the lines under it (indented by two). */
function authOf(lines: string, env: NodeJS.ProcessEnv = {}) {
  return parse(withVersion(`auth:\n${lines}`), env).config.auth;
}

function expectAuthInvalid(lines: string, key: string, ...fragments: string[]): void {
  expectInvalid(() => authOf(lines), key, ...fragments);
}

const HOUR = 3_600_000;
const BUILTIN_DEFAULTS = { expirationS: 300, refreshExpirationMs: 720 * HOUR, signingKey: undefined, rotationMs: 720 * HOUR };
const EXTERNAL_TOKEN = '  token:\n    realm: https://auth.example.com/token\n    service: registry.example.com\n    issuer: auth.example.com\n';
const HTPASSWD = '  htpasswd:\n    path: /etc/registry/htpasswd\n';

describe('config: the auth section', function () {
  describe('defaults', function () {
    it('is undefined without an auth section: an open registry', function () {
      expect(parse(withVersion('')).config.auth).to.equal(undefined);
    });

    it('gives htpasswd the realm "private-registry" and bcrypt cost 10', function () {
      expect(authOf(HTPASSWD)?.htpasswd).to.deep.equal({ realm: 'private-registry', path: '/etc/registry/htpasswd', bcryptCost: 10 });
    });

    it('has no token, no groups, no access rules (every user may do everything) and the default rate limit', function () {
      expect(authOf(HTPASSWD)).to.deep.include({
        token: undefined,
        groups: {},
        access: undefined,
        rateLimit: { addressBurst: 10, userBurst: 20, refillMs: 6_000 },
      });
    });

    it('reads a bcrypt cost and a realm as written', function () {
      expect(authOf('  htpasswd:\n    realm: Our Registry\n    path: /h\n    cost: 12\n')?.htpasswd).to.deep.equal({ realm: 'Our Registry', path: '/h', bcryptCost: 12 });
    });

    it('gives token.builtin an expiration of 5m (300 s), refresh tokens and key rotation of 720h, issuer and service "private-registry"', function () {
      expect(authOf('  token:\n    builtin:\n      signingkey: /etc/registry/key.pem\n')?.token).to.deep.equal({
        realm: undefined,
        service: 'private-registry',
        issuer: 'private-registry',
        rootCertBundle: undefined,
        jwks: undefined,
        builtin: { ...BUILTIN_DEFAULTS, signingKey: '/etc/registry/key.pem' },
      });
    });

    it('takes "builtin: true" and "builtin: {}" as the built-in service with every default', function () {
      expect(authOf('  token:\n    builtin: true\n')?.token?.builtin).to.deep.equal(BUILTIN_DEFAULTS);
      expect(authOf('  token:\n    builtin: {}\n')?.token?.builtin).to.deep.equal(BUILTIN_DEFAULTS);
    });


    it('takes "builtin: false" as no built-in service: then the external token server must be configured', function () {
      expectAuthInvalid('  token:\n    builtin: false\n', 'auth.token.realm', 'is required');
      expect(authOf(`${EXTERNAL_TOKEN}    jwks: /j.json\n    builtin: false\n`)?.token?.builtin).to.equal(undefined);
    });

    it('reads the built-in service\'s durations in Go syntax, the expiration in whole seconds', function () {
      const builtin = authOf('  token:\n    builtin:\n      expiration: 90s\n      refreshexpiration: 24h\n      rotation: 0\n')?.token?.builtin;
      expect(builtin).to.deep.equal({ expirationS: 90, refreshExpirationMs: 24 * HOUR, signingKey: undefined, rotationMs: 0 });
    });

    it('reads an external token server: realm, service, issuer and its root certificates', function () {
      expect(authOf(`${EXTERNAL_TOKEN}    rootcertbundle: /etc/registry/token.pem\n`)?.token).to.deep.equal({
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        issuer: 'auth.example.com',
        rootCertBundle: '/etc/registry/token.pem',
        jwks: undefined,
        builtin: undefined,
      });
    });

    it('reads groups and the rate limit', function () {
      const auth = authOf(`${HTPASSWD}  groups:\n    ci: [robot, builder]\n    ops: alice\n  ratelimit:\n    addressburst: 3\n    userburst: 5\n    refill: 1m\n`);
      expect(auth?.groups).to.deep.equal({ ci: ['robot', 'builder'], ops: ['alice'] });
      expect(auth?.rateLimit).to.deep.equal({ addressBurst: 3, userBurst: 5, refillMs: 60_000 });
    });
  });

  describe('access rules', function () {
    it('keeps the rules in file order, each with its index', function () {
      const auth = authOf(`${HTPASSWD}  groups:
    ci: [robot]
  access:
    - repository: "**"
      users: ["*"]
      actions: [pull]
    - repository: [ci/**, cache/*]
      groups: [ci]
      actions: [Pull, PUSH]
    - repository: public/*
      anonymous: true
      actions: pull
    - repository: ci/**
      users: [alice]
      actions: [admin]
`);
      expect(auth?.access).to.deep.equal([
        { repositories: ['**'], users: ['*'], groups: [], anonymous: false, actions: ['pull'], index: 0 },
        { repositories: ['ci/**', 'cache/*'], users: [], groups: ['ci'], anonymous: false, actions: ['pull', 'push'], index: 1 },
        { repositories: ['public/*'], users: [], groups: [], anonymous: true, actions: ['pull'], index: 2 },
        { repositories: ['ci/**'], users: ['alice'], groups: [], anonymous: false, actions: ['admin'], index: 3 },
      ]);
    });

    it('accepts every action word: pull, push, overwrite, delete, admin and *', function () {
      const auth = authOf(`${HTPASSWD}  access:\n    - repository: x\n      users: [a]\n      actions: [pull, push, overwrite, delete, admin, "*"]\n`);
      expect(auth?.access?.[0]?.actions).to.deep.equal(['pull', 'push', 'overwrite', 'delete', 'admin', '*']);
    });

    it('refuses a rule without a repository', function () {
      expectAuthInvalid(`${HTPASSWD}  access:\n    - users: [a]\n      actions: [pull]\n`, 'auth.access[0].repository', 'is required');
    });

    for (const glob of ['CI/**', '../x', 'ci//x', 'ci/***', '/ci']) {
      it(`refuses the repository glob ${JSON.stringify(glob)}`, function () {
        expectAuthInvalid(
          `${HTPASSWD}  access:\n    - repository: [ok/*, ${JSON.stringify(glob)}]\n      users: [a]\n      actions: [pull]\n`,
          'auth.access[0].repository',
          `${JSON.stringify(glob)} is not a repository glob`,
        );
      });
    }

    it('refuses a rule without actions, naming the rule by its position', function () {
      expectAuthInvalid(`${HTPASSWD}  access:\n    - repository: x\n      users: [a]\n      actions: [pull]\n    - repository: y\n      users: [a]\n`, 'auth.access[1].actions', 'is required');
    });

    it('refuses an unknown action', function () {
      expectAuthInvalid(`${HTPASSWD}  access:\n    - repository: x\n      users: [a]\n      actions: [pull, write]\n`, 'auth.access[0].actions', '"write" is not one of pull, push, overwrite, delete, admin');
    });

    it('refuses a rule that applies to nobody: no users, no groups, not anonymous', function () {
      expectAuthInvalid(`${HTPASSWD}  access:\n    - repository: x\n      anonymous: false\n      actions: [pull]\n`, 'auth.access[0]', 'name users, groups, or anonymous: true');
    });

    it('refuses a group that auth.groups does not define', function () {
      expectAuthInvalid(
        `${HTPASSWD}  groups:\n    ci: [robot]\n  access:\n    - repository: x\n      groups: [ci, ops]\n      actions: [pull]\n`,
        'auth.access[0].groups',
        'group "ops" is not defined in auth.groups',
      );
    });

    it('refuses access rules that are not a list of mappings', function () {
      expectAuthInvalid(`${HTPASSWD}  access:\n    - pull everything\n`, 'auth.access[0]', 'expected a mapping');
    });
  });

  describe('refusals', function () {
    it('refuses an auth section with neither htpasswd nor token, naming auth', function () {
      expectAuthInvalid('  groups:\n    ci: [robot]\n', 'auth', 'configure htpasswd, token, or both');
    });

    for (const scheme of ['silly', 'none']) {
      it(`refuses the "${scheme}" scheme`, function () {
        expectAuthInvalid(`  ${scheme}:\n    realm: r\n`, `auth.${scheme}`, `the "${scheme}" scheme is not supported: use htpasswd or token`);
        expectInvalid(() => parse(withVersion(`auth: ${scheme}\n`)), `auth.${scheme}`, 'is not supported');
      });
    }

    it('refuses "builtin:" with no value (on or off?) rather than asking for an external realm', function () {
      expectAuthInvalid('  token:\n    builtin:\n', 'auth.token.builtin', 'has no value: write true, false, or a mapping');
      expectInvalid(() => authOf('  token:\n    builtin: true\n', { REGISTRY_AUTH_TOKEN_BUILTIN: '' }), 'auth.token.builtin', 'has no value');
    });

    it('takes a provider written with no value as configured, so it is not silently left out', function () {
      expectAuthInvalid('  htpasswd:\n  token:\n    builtin: true\n', 'auth.htpasswd.path', 'is required');
      expectAuthInvalid(`${HTPASSWD}  token:\n`, 'auth.token.realm', 'is required');
      expectAuthInvalid('  none:\n', 'auth.none', 'is not supported');
      expectAuthInvalid('  none: {}\n', 'auth.none', 'is not supported');
    });

    it('refuses a realm with spaces in it, and refresh tokens shorter-lived than access tokens', function () {
      expectAuthInvalid('  token:\n    realm: http://auth host/token\n    builtin: {}\n', 'auth.token.realm', 'not an absolute http(s) URL');
      expectAuthInvalid('  token:\n    builtin:\n      expiration: 10m\n      refreshexpiration: 0s\n', 'auth.token.builtin.refreshexpiration', 'at least as long as expiration');
    });

    it('refuses htpasswd without a path', function () {
      expectAuthInvalid('  htpasswd:\n    realm: r\n', 'auth.htpasswd.path', 'is required');
      expectAuthInvalid('  htpasswd:\n    path: ""\n', 'auth.htpasswd.path', 'is required');
    });

    for (const cost of ['3', '32']) {
      it(`refuses bcrypt cost ${cost}`, function () {
        expectAuthInvalid(`${HTPASSWD}    cost: ${cost}\n`, 'auth.htpasswd.cost', `${cost} is not a bcrypt cost (4 to 31)`);
      });
    }

    it('refuses a cost that is not an integer', function () {
      expectAuthInvalid(`${HTPASSWD}    cost: high\n`, 'auth.htpasswd.cost', 'expected an integer');
    });

    it('refuses an external token server without a realm', function () {
      expectAuthInvalid('  token:\n    service: s\n    issuer: i\n    jwks: /j.json\n', 'auth.token.realm', 'is required');
    });

    it('refuses an external token server without rootcertbundle or jwks, naming auth.token', function () {
      expectAuthInvalid(EXTERNAL_TOKEN, 'auth.token', 'rootcertbundle or jwks is required');
    });

    it('refuses an external token server without service or issuer', function () {
      expectAuthInvalid('  token:\n    realm: https://a/token\n    issuer: i\n    jwks: /j.json\n', 'auth.token.service', 'is required');
      expectAuthInvalid('  token:\n    realm: https://a/token\n    service: s\n    jwks: /j.json\n', 'auth.token.issuer', 'is required');
    });

    for (const realm of ['auth.example.com/token', '/auth/token', 'ftp://auth.example.com/token', 'https:///token']) {
      it(`refuses the token realm ${JSON.stringify(realm)}: not an absolute http(s) URL`, function () {
        expectAuthInvalid(`  token:\n    builtin: true\n    realm: ${realm}\n`, 'auth.token.realm', `${JSON.stringify(realm)} is not an absolute http(s) URL`);
      });
    }

    it('refuses a built-in token expiration under a second', function () {
      expectAuthInvalid('  token:\n    builtin:\n      expiration: 500ms\n', 'auth.token.builtin.expiration', 'must be at least 1s');
      expectAuthInvalid('  token:\n    builtin:\n      expiration: 0s\n', 'auth.token.builtin.expiration', 'must be at least 1s');
      expectAuthInvalid('  token:\n    builtin:\n      expiration: 5\n', 'auth.token.builtin.expiration', 'give a unit');
    });

    it('refuses groups that are not a mapping', function () {
      expectAuthInvalid(`${HTPASSWD}  groups: [ci]\n`, 'auth.groups', 'expected a mapping');
    });

    it('refuses a rate limit below one attempt, or no refill', function () {
      expectAuthInvalid(`${HTPASSWD}  ratelimit:\n    addressburst: 0\n`, 'auth.ratelimit.addressburst', 'must be at least 1');
      expectAuthInvalid(`${HTPASSWD}  ratelimit:\n    userburst: -1\n`, 'auth.ratelimit.userburst', 'must be at least 1');
      expectAuthInvalid(`${HTPASSWD}  ratelimit:\n    refill: 0s\n`, 'auth.ratelimit.refill', 'must be more than 0');
    });
  });

  describe('REGISTRY_AUTH_* variables', function () {
    it('REGISTRY_AUTH_HTPASSWD_PATH overrides the path in the file', function () {
      const auth = authOf('  htpasswd:\n    realm: r\n    path: /from/file\n', { REGISTRY_AUTH_HTPASSWD_PATH: '/run/secrets/htpasswd' });
      expect(auth?.htpasswd).to.deep.equal({ realm: 'r', path: '/run/secrets/htpasswd', bcryptCost: 10 });
    });

    it('a bad value from a variable names the variable', function () {
      const err = expectInvalid(() => authOf(HTPASSWD, { REGISTRY_AUTH_HTPASSWD_COST: '99' }), 'auth.htpasswd.cost', '99 is not a bcrypt cost');
      expect(err.envVar).to.equal('REGISTRY_AUTH_HTPASSWD_COST');
    });

    it('configures auth from REGISTRY_AUTH_* variables alone', function () {
      const { config } = parse(withVersion(''), { REGISTRY_AUTH_HTPASSWD_PATH: '/h', REGISTRY_AUTH_HTPASSWD_REALM: 'R', REGISTRY_AUTH_RATELIMIT_ADDRESSBURST: '3' });
      expect(config.auth?.htpasswd).to.deep.equal({ realm: 'R', path: '/h', bcryptCost: 10 });
      expect(config.auth?.rateLimit).to.deep.equal({ addressBurst: 3, userBurst: 20, refillMs: 6_000 });
    });

    it('REGISTRY_AUTH_TOKEN_BUILTIN=true turns the built-in token service on', function () {
      expect(authOf(HTPASSWD, { REGISTRY_AUTH_TOKEN_BUILTIN: 'true' })?.token?.builtin).to.deep.equal(BUILTIN_DEFAULTS);
    });
  });
});
