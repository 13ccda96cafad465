// Flavors files, as the old Python docker-registry read them: `common` plus named flavors, one chosen by
// SETTINGS_FLAVOR (default dev) and merged over common; old flat keys and `_env:VAR[:default]` values inside.
import { expect } from 'chai';
import { mergeFlavor } from '../../src/config/index.js';
import { mapNode, scalarNode, toPlain, type MapNode } from '../../src/config/config-tree.js';
import { expectInvalid, parse } from './config-test-helpers.js';

const FLAVORS = `
common:
  loglevel: info
  secret_key: common-secret
  http:
    addr: 127.0.0.1:5000
dev:
  storage: local
  storage_path: /srv/dev
  loglevel: debug
prod:
  storage: s3
  s3_bucket: images
  s3_region: eu-west-1
  s3_access_key: AKIA
  s3_secret_key: _env:AWS_SECRET
  s3_secure: false
  s3_encrypt: true
  boto_host: s3.internal
  boto_port: 9000
  storage_path: /prod
`;

const map = (entries: Record<string, MapNode | string>): MapNode =>
  mapNode(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? scalarNode(v) : v]));

describe('config: flavors files', function () {
  it('reads the dev flavor by default, merged over common, old keys mapped', function () {
    const { config, flavor, warnings } = parse(FLAVORS);
    expect(flavor).to.equal('dev');
    expect(warnings).to.deep.equal([]);
    expect(config.storage.driver).to.equal('filesystem');
    expect(config.storage.filesystem?.rootDirectory).to.equal('/srv/dev');
    expect(config.log.level).to.equal('debug');
    expect(config.http.secret).to.equal('common-secret');
    expect(config.http.addr).to.equal('127.0.0.1:5000');
  });

  it('reads the flavor SETTINGS_FLAVOR names: prod on S3 with every old S3 key in its distribution place', function () {
    const { config, flavor } = parse(FLAVORS, { SETTINGS_FLAVOR: 'prod', AWS_SECRET: 'from-env' });
    expect(flavor).to.equal('prod');
    expect(config.storage.driver).to.equal('s3');
    expect(config.storage.filesystem).to.equal(undefined);
    expect(config.storage.s3).to.deep.equal({
      bucket: 'images',
      region: 'eu-west-1',
      accesskey: 'AKIA',
      secretkey: 'from-env',
      secure: false,
      encrypt: true,
      regionendpoint: 's3.internal:9000',
      rootdirectory: '/prod',
    });
    expect(config.log.level).to.equal('info');
  });

  it('applies REGISTRY_* variables over the merged flavor', function () {
    const { config } = parse(FLAVORS, { SETTINGS_FLAVOR: 'prod', REGISTRY_STORAGE_S3_BUCKET: 'other', REGISTRY_HTTP_ADDR: ':7000' });
    expect(config.storage.s3?.bucket).to.equal('other');
    expect(config.http.addr).to.equal(':7000');
  });

  it('stops on a flavor the file does not define, naming the ones it does', function () {
    const err = expectInvalid(() => parse(FLAVORS, { SETTINGS_FLAVOR: 'staging' }), '', 'flavor "staging" is not defined in config.yml; its flavors: dev, prod', 'SETTINGS_FLAVOR');
    expect(err.envVar).to.equal('SETTINGS_FLAVOR');
    expectInvalid(() => parse('common:\n  storage: local\nprod:\n  storage: s3\n'), '', 'flavor "dev" (the default; set SETTINGS_FLAVOR to choose) is not defined', 'its flavors: prod');
  });

  it('refuses a file that mixes flavors with distribution keys (the version our old hint asked for), so prod is never ignored', function () {
    expectInvalid(() => parse(`version: 0.1\n${FLAVORS}`, { SETTINGS_FLAVOR: 'prod' }), '', 'mixes flavor sections (common, prod)', "distribution's top-level keys (version)");
  });

  it('needs no version key, and a storage like any file', function () {
    expectInvalid(() => parse('common:\n  loglevel: info\ndev:\n  secret_key: x\n'), 'storage', 'no storage configuration provided');
  });

  it('accepts distribution keys inside a flavor, the flavor replacing the driver of common', function () {
    const text = 'common:\n  storage:\n    filesystem:\n      rootdirectory: /common\n    delete:\n      enabled: true\nprod:\n  storage:\n    inmemory: {}\n';
    const { config } = parse(text, { SETTINGS_FLAVOR: 'prod' });
    expect(config.storage.driver).to.equal('inmemory');
    expect(config.storage.delete.enabled).to.equal(true);
  });

  it('resolves _env:VAR[:default] as the old registry did: the variable, else the default, read as YAML; unset without default is absent', function () {
    const text = 'dev:\n  storage: local\n  storage_path: _env:STORAGE_PATH:/tmp/registry\n  loglevel: _env:LOGLEVEL\n  s3_encrypt: _env:X\n';
    expect(parse(text).config.storage.filesystem?.rootDirectory).to.equal('/tmp/registry');
    expect(parse(text, { STORAGE_PATH: '/from/env' }).config.storage.filesystem?.rootDirectory).to.equal('/from/env');
    expect(parse(text).config.log.level).to.equal('info');
    expect(parse(text, { LOGLEVEL: 'warning' }).config.log.level).to.equal('warn');
  });

  it('maps smtp_*, from_addr and to_addr (flat or under email_exceptions) into the mail section', function () {
    const flat = 'dev:\n  storage: local\n  smtp_host: mx\n  smtp_port: 587\n  smtp_login: me\n  smtp_password: pw\n  smtp_secure: true\n  from_addr: r@x.org\n  to_addr: a@x.org, b@x.org\n';
    expect(parse(flat).config.mail).to.deep.equal({ host: 'mx', port: 587, username: 'me', password: 'pw', tls: true, from: 'r@x.org', to: ['a@x.org', 'b@x.org'], intervalMs: 900_000, insecureSkipVerify: false, caFile: undefined });
    const grouped = 'dev:\n  storage: local\n  email_exceptions:\n    smtp_host: mx\n    smtp_port: _env:SMTP_PORT:25\n    to_addr: a@x.org\n';
    expect(parse(grouped).config.mail).to.deep.include({ host: 'mx', port: 25, to: ['a@x.org'] });
  });

  it('warns by name about old keys with no meaning here and drops them', function () {
    const { warnings } = parse('common:\n  standalone: true\n  storage_alternate: file\ndev:\n  storage: local\n  glance: x\n');
    expect(warnings).to.deep.equal([
      'configuration key "standalone" (flavor common) of the old docker-registry has no meaning here and is ignored',
      'configuration key "storage_alternate" (flavor common) of the old docker-registry has no meaning here and is ignored',
      'configuration key "glance" (flavor dev) of the old docker-registry has no meaning here and is ignored',
    ]);
  });

  it('stops on an old storage this registry does not have, naming storage', function () {
    expectInvalid(() => parse('dev:\n  storage: glance\n'), 'storage', 'storage "glance" (flavor dev) is not available here');
  });

  it('maps mirroring.source to a pull-through upstream and tags_cache_ttl to tag revalidation', function () {
    const { config } = parse('dev:\n  storage: local\n  mirroring:\n    source: https://registry-1.docker.io\n    tags_cache_ttl: 120\n');
    expect(config.proxy.upstreams.map((u) => u.url)).to.deep.equal(['https://registry-1.docker.io']);
    expect(config.proxy.tagRevalidateMs).to.equal(120_000);
  });

  it('reports an unknown key inside a flavor with the flavor it came from', function () {
    const { unknownKeys, warnings } = parse('dev:\n  storage: local\n  s3_buckt: x\n');
    expect(unknownKeys).to.deep.equal(['s3_buckt']);
    expect(warnings).to.include('unknown configuration key "s3_buckt" (flavor dev)');
  });

  it('keeps an explicit distribution key over the old spelling of the same setting, with a warning', function () {
    const { config, warnings } = parse('dev:\n  storage: local\n  secret_key: old\n  http:\n    secret: new\n');
    expect(config.http.secret).to.equal('new');
    expect(warnings).to.deep.equal(['configuration key "secret_key" is ignored because "http.secret" is also set']);
  });

  it('says SETTINGS_FLAVOR is ignored for a distribution-format file', function () {
    const { warnings, flavor } = parse('version: 0.1\nstorage: inmemory\n', { SETTINGS_FLAVOR: 'prod' });
    expect(flavor).to.equal(undefined);
    expect(warnings).to.deep.equal(['SETTINGS_FLAVOR=prod is ignored: config.yml is not a flavors file']);
  });
});

describe('config: mergeFlavor', function () {
  it('merges mappings key by key, the overlay winning, anything else replaced', function () {
    const base = map({ a: '1', http: map({ addr: ':1', host: 'h' }) });
    const overlay = map({ http: map({ addr: ':2' }), b: '2' });
    expect(toPlain(mergeFlavor(base, overlay))).to.deep.equal({ a: '1', http: { addr: ':2', host: 'h' }, b: '2' });
  });

  it('drops the base storage driver when the overlay names one, keeping the storage settings', function () {
    const base = map({ storage: map({ filesystem: map({ rootdirectory: '/x' }), delete: map({ enabled: 'true' }) }) });
    const overlay = map({ storage: map({ s3: map({ bucket: 'b' }) }) });
    expect(toPlain(mergeFlavor(base, overlay))).to.deep.equal({ storage: { delete: { enabled: 'true' }, s3: { bucket: 'b' } } });
  });

  it('replaces a mapping by a scalar (an old `storage: s3` over a distribution storage section)', function () {
    const base = map({ storage: map({ filesystem: map({}) }) });
    expect(toPlain(mergeFlavor(base, map({ storage: 's3' })))).to.deep.equal({ storage: 's3' });
  });
});
