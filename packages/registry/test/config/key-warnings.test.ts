// Keys we do not act on are named in warnings: distribution's keys we do not support yet, and keys
// that are not in distribution's format at all (usually typos), with their full dotted path.
import { expect } from 'chai';
import { parse, withVersion } from './config-test-helpers.js';

describe('config: warnings for unsupported and unknown keys', function () {
  it('names each top-level section distribution has and we do not run yet, and keeps it in raw', function () {
    const sections = ['redis', 'health', 'validation', 'compatibility', 'middleware', 'reporting', 'policy'];
    const file = withVersion(sections.map((s) => `${s}:\n  something: 1\n`).join(''));
    const { config, warnings } = parse(file);
    expect(warnings).to.deep.equal(sections.map((s) => `configuration key "${s}" is not supported yet and is ignored`));
    expect(config.ignoredKeys).to.deep.equal(sections);
    for (const s of sections) expect(config.raw[s]).to.deep.equal({ something: 1 });
  });

  it('reads an auth section instead of ignoring it: no warning, and the registry is not left open', function () {
    const { config, warnings } = parse(withVersion('auth:\n  htpasswd:\n    realm: r\n    path: /p\n'));
    expect(warnings).to.deep.equal([]);
    expect(config.ignoredKeys).to.deep.equal([]);
    expect(config.auth?.htpasswd).to.deep.equal({ realm: 'r', path: '/p', bcryptCost: 10 });
  });

  it('names the auth keys of distribution 3 it does not run (auth.token.autoredirect)', function () {
    const { config, warnings } = parse(withVersion('auth:\n  htpasswd:\n    realm: r\n    path: /p\n  token:\n    realm: https://auth.example.com/token\n    service: s\n    issuer: i\n    rootcertbundle: /b.pem\n    autoredirect: true\n'));
    expect(warnings).to.deep.equal(['configuration key "auth.token.autoredirect" is not supported yet and is ignored']);
    expect(config.ignoredKeys).to.deep.equal(['auth.token.autoredirect']);
    expect(config.auth?.htpasswd).to.deep.equal({ realm: 'r', path: '/p', bcryptCost: 10 });
    expect(config.auth?.token).to.include({ realm: 'https://auth.example.com/token', service: 's', issuer: 'i', rootCertBundle: '/b.pem', builtin: undefined });
  });

  it('words it exactly as the operator will read it', function () {
    const { warnings } = parse(withVersion('redis:\n  addrs: []\n'));
    expect(warnings).to.deep.equal(['configuration key "redis" is not supported yet and is ignored']);
  });

  it('names nested keys we do not support by their path', function () {
    const file = withVersion(`log:
  hooks: []
  reportcaller: true
storage:
  inmemory:
  cache:
    blobdescriptor: inmemory
  tag:
    concurrencylimit: 8
http:
  http2:
    disabled: true
  h2c:
    enabled: false
  tls:
    certificate: c
    key: k
    ciphersuites: [TLS_AES_128_GCM_SHA256]
`);
    const { warnings } = parse(file);
    expect(warnings).to.deep.equal([
      'configuration key "log.hooks" is not supported yet and is ignored',
      'configuration key "log.reportcaller" is not supported yet and is ignored',
      'configuration key "storage.cache" is not supported yet and is ignored',
      'configuration key "storage.tag" is not supported yet and is ignored',
      'configuration key "http.http2" is not supported yet and is ignored',
      'configuration key "http.h2c" is not supported yet and is ignored',
    ]);
    expect(parse(file).config.ignoredKeys).to.deep.equal(['log.hooks', 'log.reportcaller', 'storage.cache', 'storage.tag', 'http.http2', 'http.h2c']);
  });

  it('reads http.tls.ciphersuites as written instead of ignoring it', function () {
    const file = withVersion('http:\n  tls:\n    certificate: c\n    key: k\n    ciphersuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n');
    const { config, warnings } = parse(file);
    expect(warnings).to.deep.equal([]);
    expect(config.http.tls?.cipherSuites).to.deep.equal(['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384']);
  });

  it('does not warn about a section that is present but empty', function () {
    const { config, warnings } = parse(withVersion('auth:\nproxy: ~\nhealth:\nnotifications:\n'));
    expect(warnings).to.deep.equal([]);
    expect(config.auth).to.equal(undefined);
  });

  it('names an unknown key by its full dotted path, as written', function () {
    const file = withVersion('storage:\n  filesystem:\n    rootdirectory: /r\n  filesytem:\n    rootdirectory: /typo\nhttp:\n  adress: :1\n  tls:\n    certificat: c\nlogg:\n  level: debug\n');
    const { config, warnings } = parse(file);
    expect(warnings).to.deep.equal([
      'unknown configuration key "storage.filesytem"',
      'unknown configuration key "http.adress"',
      'unknown configuration key "http.tls.certificat"',
      'unknown configuration key "logg"',
    ]);
    expect(config.storage.filesystem?.rootDirectory).to.equal('/r');
  });

  it('warns about parameters the inmemory driver does not take', function () {
    expect(parse(withVersion('storage:\n  inmemory:\n    size: 1\n')).warnings).to.deep.equal(['unknown configuration key "storage.inmemory.size"']);
  });

  it('does not second-guess free-form maps: log fields, headers, s3 parameters', function () {
    const file = withVersion('log:\n  fields:\n    anything: 1\nhttp:\n  headers:\n    X-Anything: [1]\nstorage:\n  s3:\n    newparameter: 1\n');
    expect(parse(file).warnings).to.deep.equal([]);
  });

  it('honours the deprecated top-level loglevel when log.level is not set, with a warning', function () {
    const { config, warnings } = parse(withVersion('loglevel: debug\n'));
    expect(config.log.level).to.equal('debug');
    expect(warnings).to.deep.equal(['configuration key "loglevel" is deprecated; use "log.level"']);
  });

  it('raises maxthreads below distribution\'s minimum of 25, with a warning', function () {
    const { config, warnings } = parse(withVersion('storage:\n  filesystem:\n    maxthreads: 5\n'));
    expect(config.storage.filesystem?.maxThreads).to.equal(25);
    expect(warnings).to.deep.equal(['storage.filesystem.maxthreads is below the minimum of 25; using 25']);
  });

  it('warns that client CAs do nothing without a certificate', function () {
    const { config, warnings } = parse(withVersion('http:\n  tls:\n    clientcas: [/ca.pem]\n'));
    expect(config.http.tls).to.equal(undefined);
    expect(warnings).to.deep.equal(['http.tls.clientcas is ignored: TLS is off without http.tls.certificate and http.tls.key']);
  });

  it('warns that a debug section without addr runs no debug server', function () {
    const { config, warnings } = parse(withVersion('http:\n  debug:\n    prometheus:\n      enabled: true\n'));
    expect(config.http.debug).to.equal(undefined);
    expect(warnings).to.deep.equal(['http.debug.addr is not set: the debug server is off']);
  });

  it('reads only the first YAML document, and says so', function () {
    const { config, warnings } = parse('version: 0.1\nstorage: inmemory\nlog:\n  level: debug\n---\nlog:\n  level: error\n');
    expect(config.log.level).to.equal('debug');
    expect(warnings).to.deep.equal(['config.yml: only the first YAML document is read; 1 more ignored']);
  });
});
