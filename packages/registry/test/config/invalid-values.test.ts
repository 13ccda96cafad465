// A value the registry cannot use stops startup with a message naming the key (and the variable, if
// one set it) rather than starting with a surprise.
import { expect } from 'chai';
import { ConfigError } from '../../src/config/index.js';
import { expectInvalid, parse, TEST_CWD, withVersion } from './config-test-helpers.js';

describe('config: invalid values stop startup and name the key', function () {
  it('http.addr that is not a host:port', function () {
    expectInvalid(() => parse(withVersion('http:\n  addr: abc\n')), 'http.addr', '"abc" is not a host:port');
  });

  it('storage.delete.enabled that is not a boolean', function () {
    expectInvalid(() => parse(withVersion('storage:\n  delete:\n    enabled: maybe\n')), 'storage.delete.enabled', 'expected a boolean, got "maybe"');
  });

  it('storage.maintenance.uploadpurging.age that is not a duration', function () {
    const file = withVersion('storage:\n  maintenance:\n    uploadpurging:\n      age: 1 day\n');
    expectInvalid(() => parse(file), 'storage.maintenance.uploadpurging.age', '"1 day" is not a duration');
  });

  it('a duration written as a bare number (Go would read nanoseconds)', function () {
    expectInvalid(() => parse(withVersion('http:\n  draintimeout: 60\n')), 'http.draintimeout', '60 is not a duration', '"60s"');
  });

  it('a negative duration', function () {
    expectInvalid(() => parse(withVersion('http:\n  draintimeout: -5s\n')), 'http.draintimeout', 'must not be negative');
  });

  it('http.workers outside 1..256, or not a count', function () {
    expectInvalid(() => parse(withVersion('http:\n  workers: 0\n')), 'http.workers', 'must be between 1 (one process) and 256');
    expectInvalid(() => parse(withVersion('http:\n  workers: 257\n')), 'http.workers', 'must be between 1 (one process) and 256');
    expectInvalid(() => parse(withVersion('http:\n  workers: two\n')), 'http.workers', 'expected an integer');
  });

  it('http.workers defaults to the number of cores, and 1 means one process', async function () {
    const { availableParallelism } = await import('node:os');
    expect(parse(withVersion('http:\n  addr: :5000\n')).config.http.workers).to.equal(Math.min(256, availableParallelism()));
    expect(parse(withVersion('http:\n  workers: 1\n')).config.http.workers).to.equal(1);
  });

  it('upload purging enabled with a zero interval', function () {
    const file = withVersion('storage:\n  maintenance:\n    uploadpurging:\n      interval: 0s\n');
    expectInvalid(() => parse(file), 'storage.maintenance.uploadpurging.interval', 'greater than zero');
  });

  it('http.tls with a certificate but no key', function () {
    expectInvalid(() => parse(withVersion('http:\n  tls:\n    certificate: /c.pem\n')), 'http.tls', 'certificate and key must both be set');
  });

  it("http.tls with only Let's Encrypt (which would otherwise start in plain HTTP)", function () {
    const file = withVersion('http:\n  tls:\n    letsencrypt:\n      cachefile: /le\n      email: a@b.c\n');
    expectInvalid(() => parse(file), 'http.tls.letsencrypt', 'not supported yet');
  });

  it('http.tls.minimumtls and clientauth outside the known values', function () {
    const tls = 'http:\n  tls:\n    certificate: c\n    key: k\n';
    expectInvalid(() => parse(withVersion(`${tls}    minimumtls: tls1.0\n`)), 'http.tls.minimumtls', '"tls1.0" is not one of tls1.2, tls1.3');
    expectInvalid(() => parse(withVersion(`${tls}    clientauth: sometimes\n`)), 'http.tls.clientauth', '"sometimes"');
  });

  it('log.level and log.formatter outside the known values', function () {
    expectInvalid(() => parse(withVersion('log:\n  level: loud\n')), 'log.level', '"loud" is not one of');
    expectInvalid(() => parse(withVersion('log:\n  formatter: xml\n')), 'log.formatter', '"xml" is not one of json, text, logstash');
  });

  it('accepts the log level spellings distribution does (warning, panic, fatal)', function () {
    expect(parse(withVersion('log:\n  level: warning\n')).config.log.level).to.equal('warn');
    expect(parse(withVersion('log:\n  level: panic\n')).config.log.level).to.equal('fatal');
    expect(parse(withVersion('log:\n  level: Fatal\n')).config.log.level).to.equal('fatal');
  });

  it('http.net other than tcp or unix, and unix without a socket path', function () {
    expectInvalid(() => parse(withVersion('http:\n  net: udp\n')), 'http.net', '"udp" is not one of tcp, unix');
    expectInvalid(() => parse(withVersion('http:\n  net: unix\n')), 'http.addr', 'a socket path is required');
  });

  it('http.host that is not an absolute http(s) URL', function () {
    expectInvalid(() => parse(withVersion('http:\n  host: registry.example.com\n')), 'http.host', 'is not an absolute http(s) URL');
  });

  it('http.prefix without a leading slash', function () {
    expectInvalid(() => parse(withVersion('http:\n  prefix: registry/\n')), 'http.prefix', 'must start with "/"');
  });

  it('http.headers with a bad header name or a value that is not a list of strings', function () {
    expectInvalid(() => parse(withVersion('http:\n  headers:\n    "Bad Header": [x]\n')), 'http.headers.Bad Header', 'not a valid header name');
    expectInvalid(() => parse(withVersion('http:\n  headers:\n    X-A: {b: c}\n')), 'http.headers.X-A', 'expected a list of strings');
  });

  it('a section that is not a mapping', function () {
    expectInvalid(() => parse(withVersion('http: [a, b]\n')), 'http', 'expected a mapping, got a list');
    expectInvalid(() => parse(withVersion('log:\n  accesslog: true\n')), 'log.accesslog', 'expected a mapping, got true');
  });

  it('storage.filesystem.maxthreads that is not an integer', function () {
    expectInvalid(() => parse(withVersion('storage:\n  filesystem:\n    maxthreads: lots\n')), 'storage.filesystem.maxthreads', 'expected an integer, got "lots"');
  });

  it('a storage driver we do not have, or a misspelt one with no driver beside it', function () {
    expectInvalid(() => parse(withVersion('storage:\n  gcs:\n    bucket: b\n')), 'storage.gcs', 'storage driver "gcs" is not supported (supported: filesystem, inmemory, s3)');
    expectInvalid(() => parse(withVersion('storage:\n  filesytem:\n    rootdirectory: /x\n')), 'storage', 'no storage driver configured', '"filesytem"');
  });

  it('two storage drivers', function () {
    expectInvalid(() => parse(withVersion('storage:\n  filesystem: {}\n  inmemory:\n')), 'storage', 'exactly one storage driver may be configured, found filesystem, inmemory');
  });

  it('a key given twice in different case', function () {
    expectInvalid(() => parse(withVersion('http:\n  addr: :1\n  Addr: :2\n')), 'http.addr', 'given more than once');
  });

  it('a negative tags.maxtags', function () {
    expectInvalid(() => parse(withVersion('tags:\n  maxtags: -1\n')), 'tags.maxtags', 'must not be negative');
  });

  it('a file without a version, or with another version', function () {
    expectInvalid(() => parse('storage:\n  inmemory:\n'), 'version', 'is required');
    expectInvalid(() => parse('version: 0.2\n'), 'version', 'unsupported version "0.2"');
    expectInvalid(() => parse(''), 'version', 'is required');
  });

  it('a file that is not a mapping, or not YAML', function () {
    expectInvalid(() => parse('- a\n- b\n'), '', 'config.yml: expected a mapping of configuration keys');
  });

  it('a file that is not YAML is unparseable (CONFIG_UNPARSEABLE: config check exits 2), with line and column', function () {
    for (const [text, where] of [['version: 0.1\nhttp:\n  addr: "unclosed\n', 'config.yml:'], ['version: 0.1\nversion: 0.1\n', 'config.yml:2:1']] as const) {
      let caught: unknown;
      try {
        parse(text);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
      expect((caught as ConfigError).code).to.equal('CONFIG_UNPARSEABLE');
      expect((caught as ConfigError).message).to.match(/^cannot parse configuration: /).and.include(where);
    }
  });

  it('a file that configures no storage driver, naming storage (only the no-file defaults pick one)', function () {
    expectInvalid(() => parse('version: 0.1\nhttp:\n  addr: :5000\n'), 'storage', 'no storage configuration provided');
    expectInvalid(() => parse('version: 0.1\nstorage:\n  delete:\n    enabled: true\n'), 'storage', 'no storage configuration provided');
  });

  it('accepts a file whose storage is given only by REGISTRY_STORAGE_* variables', function () {
    const { config } = parse('version: 0.1\n', { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: 'relative/store' });
    expect(config.storage.filesystem?.rootDirectory).to.equal(`${TEST_CWD}/relative/store`);
  });

  it('names the environment variable that set a bad value', function () {
    const err = expectInvalid(() => parse(undefined, { REGISTRY_STORAGE_DELETE_ENABLED: 'maybe' }), 'storage.delete.enabled', '(set by REGISTRY_STORAGE_DELETE_ENABLED)');
    expect(err.envVar).to.equal('REGISTRY_STORAGE_DELETE_ENABLED');
  });

  it('names the variable that set part of a section that is now incomplete', function () {
    expectInvalid(() => parse(undefined, { REGISTRY_HTTP_TLS_CERTIFICATE: '/c.pem' }), 'http.tls', 'certificate and key must both be set (set by REGISTRY_HTTP_TLS_CERTIFICATE)');
  });

  it('names the file in ConfigError.source', function () {
    const err = expectInvalid(() => parse(withVersion('http:\n  addr: nope\n')), 'http.addr');
    expect(err.source).to.equal('config.yml');
    expect(err.envVar).to.equal(undefined);
  });
});
