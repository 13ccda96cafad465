// Secret values (http.secret, S3 keys, passwords) never appear in a warning or an error message.
import { expect } from 'chai';
import { ConfigError, redactConfig, REDACTED } from '../../src/config/index.js';
import { parse, withVersion } from './config-test-helpers.js';

const SECRET = 'Sup3rS3cretValue';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

describe('config: secrets stay out of messages', function () {
  it('keeps http.secret and storage.s3.secretkey out of every warning', function () {
    const file = withVersion(`http:
  secret: ${SECRET}
storage:
  s3:
    accesskey: AKIA
    secretkey: ${SECRET}
  cache:
    blobdescriptor: redis
redis:
  password: ${SECRET}
proxy:
  remoteurl: https://registry-1.docker.io
  username: hubuser
  password: ${SECRET}
unknownsection:
  token: ${SECRET}
`);
    const { config, warnings } = parse(file, { REGISTRY_HTTP_SECRET_EXTRA: SECRET, REGISTRY_NOPE: SECRET });
    expect(config.http.secret).to.equal(SECRET);
    expect(config.storage.s3?.['secretkey']).to.equal(SECRET);
    expect(warnings.length).to.be.greaterThan(3);
    for (const w of warnings) expect(w).not.to.include(SECRET);
  });

  it('does not show a secret value that has the wrong shape', function () {
    const message = messageOf(() => parse(withVersion(`http:\n  secret: [${SECRET}]\n`)));
    expect(message).to.include('http.secret: expected a string, got a list');
    expect(message).not.to.include(SECRET);
  });

  it('does not quote the source line of a YAML syntax error (it may hold a secret)', function () {
    const message = messageOf(() => parse(withVersion(`http:\n  secret: "${SECRET}\n  addr: :5000\n`)));
    expect(message).to.match(/config\.yml:\d+:\d+/);
    expect(message).not.to.include(SECRET);
  });

  it('does not quote an environment value that is not valid YAML', function () {
    const message = messageOf(() => parse(undefined, { REGISTRY_STORAGE: `{s3: {secretkey: ${SECRET}` }));
    expect(message).to.include('environment variable REGISTRY_STORAGE');
    expect(message).not.to.include(SECRET);
  });

  it('takes a secret from the environment as written, even when it looks like YAML', function () {
    const { config, warnings } = parse(undefined, { REGISTRY_HTTP_SECRET: `{a: ${SECRET}}` });
    expect(config.http.secret).to.equal(`{a: ${SECRET}}`);
    for (const w of warnings) expect(w).not.to.include(SECRET);
  });

  it('does not show a secret in a bad-value error for a section kept raw', function () {
    const message = messageOf(() => parse(undefined, { REGISTRY_STORAGE_S3: SECRET }));
    expect(message).to.include('storage.s3: expected a mapping of S3 parameters (set by REGISTRY_STORAGE_S3)');
    expect(message).not.to.include(SECRET);
  });

  it('redactConfig gives a printable copy without secret values', function () {
    const file = withVersion(`http:\n  secret: ${SECRET}\nstorage:\n  s3:\n    region: eu-west-1\n    secretkey: ${SECRET}\nproxy:\n  password: ${SECRET}\n`);
    const { config } = parse(file);
    const printable = JSON.stringify(redactConfig(config));
    expect(printable).not.to.include(SECRET);
    expect(printable).to.include(REDACTED);
    expect(printable).to.include('eu-west-1');
    expect(config.http.secret).to.equal(SECRET);
  });

  it('shows the auth section\'s realms, service, issuer and file paths, though "htpasswd" and "token" look like secret names', function () {
    const file = withVersion(`auth:
  htpasswd:
    realm: basic-realm
    path: /etc/registry/htpasswd
  token:
    realm: https://alice:${SECRET}@auth.example.com/token
    service: registry.example.com
    issuer: auth.example.com
    rootcertbundle: /etc/registry/token.pem
`);
    const { raw } = redactConfig(parse(file).config);
    expect(raw['auth']).to.deep.equal({
      htpasswd: { realm: 'basic-realm', path: '/etc/registry/htpasswd' },
      token: {
        realm: `https://alice:${REDACTED}@auth.example.com/token`,
        service: 'registry.example.com',
        issuer: 'auth.example.com',
        rootcertbundle: '/etc/registry/token.pem',
      },
    });
  });

  it('still redacts a secret-named key inside auth.token, and a token anywhere else', function () {
    const { raw } = redactConfig(parse(withVersion(`auth:\n  token:\n    builtin: true\n    secret: ${SECRET}\nnotifications:\n  token: ${SECRET}\n`)).config);
    expect(JSON.stringify(raw)).not.to.include(SECRET);
  });
});
