// Distribution's environment rule: REGISTRY_<PATH> overrides the key at PATH, values are YAML,
// variables apply in sorted order, and a variable naming a section replaces the whole section.
import { expect } from 'chai';
import { parse, withVersion } from './config-test-helpers.js';

const FILE = withVersion(`log:
  level: info
storage:
  filesystem:
    rootdirectory: /from/file
  delete:
    enabled: false
http:
  addr: :5000
  secret: file-secret
`);

describe('config: REGISTRY_* environment variables', function () {
  it('REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY sets the filesystem root', function () {
    const { config } = parse(undefined, { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/srv/registry' });
    expect(config.storage.filesystem?.rootDirectory).to.equal('/srv/registry');
    expect(config.storage.driverIsDefault).to.equal(false);
  });

  it('REGISTRY_HTTP_ADDR sets the listen address, and it is no longer the default', function () {
    const { config } = parse(undefined, { REGISTRY_HTTP_ADDR: '127.0.0.1:5001' });
    expect(config.http.addr).to.equal('127.0.0.1:5001');
    expect(config.http.addrIsDefault).to.equal(false);
    expect(config.http.listen).to.deep.equal({ net: 'tcp', host: '127.0.0.1', port: 5001 });
  });

  it('REGISTRY_STORAGE_DELETE_ENABLED=true is a boolean, as YAML reads it', function () {
    expect(parse(undefined, { REGISTRY_STORAGE_DELETE_ENABLED: 'true' }).config.storage.delete.enabled).to.equal(true);
  });

  it('reads YAML 1.1 booleans as distribution does (yes/no/on/off)', function () {
    expect(parse(undefined, { REGISTRY_STORAGE_DELETE_ENABLED: 'yes' }).config.storage.delete.enabled).to.equal(true);
    expect(parse(undefined, { REGISTRY_HTTP_RELATIVEURLS: 'on' }).config.http.relativeUrls).to.equal(true);
  });

  it('REGISTRY_LOG_LEVEL sets the level, in any case', function () {
    expect(parse(undefined, { REGISTRY_LOG_LEVEL: 'debug' }).config.log.level).to.equal('debug');
    expect(parse(undefined, { REGISTRY_LOG_LEVEL: 'WARNING' }).config.log.level).to.equal('warn');
  });

  it('REGISTRY_HTTP_TLS_CERTIFICATE and REGISTRY_HTTP_TLS_KEY turn TLS on', function () {
    const { config } = parse(undefined, { REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/domain.crt', REGISTRY_HTTP_TLS_KEY: '/certs/domain.key' });
    expect(config.http.tls).to.deep.equal({
      certificate: '/certs/domain.crt',
      key: '/certs/domain.key',
      clientCas: [],
      clientAuth: 'require-and-verify-client-cert',
      minimumTls: 'tls1.2',
      cipherSuites: [],
    });
  });

  it('numbers are numbers and [a,b] is a list', function () {
    const { config } = parse(undefined, {
      REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS: '50',
      'REGISTRY_HTTP_HEADERS_X-FRAME-OPTIONS': '[DENY, SAMEORIGIN]',
      REGISTRY_HTTP_TLS_CERTIFICATE: 'c',
      REGISTRY_HTTP_TLS_KEY: 'k',
      REGISTRY_HTTP_TLS_CLIENTCAS: '[/ca/one.pem, /ca/two.pem]',
    });
    expect(config.storage.filesystem?.maxThreads).to.equal(50);
    expect(config.http.headers).to.deep.equal({ 'x-frame-options': ['DENY', 'SAMEORIGIN'] });
    expect(config.http.tls?.clientCas).to.deep.equal(['/ca/one.pem', '/ca/two.pem']);
  });

  it('a string field keeps the text as written (a port-like number, an octal-looking secret)', function () {
    const { config } = parse(undefined, { REGISTRY_HTTP_SECRET: '0123' });
    expect(config.http.secret).to.equal('0123');
  });

  it('takes text that is not a YAML scalar as the string it spells where a string belongs ([::1]:5000)', function () {
    const { config } = parse(undefined, { REGISTRY_HTTP_ADDR: '[::1]:5000' });
    expect(config.http.listen).to.deep.equal({ net: 'tcp', host: '::1', port: 5000 });
  });

  it('overrides the file', function () {
    const { config, source } = parse(FILE, {
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/from/env',
      REGISTRY_STORAGE_DELETE_ENABLED: 'true',
      REGISTRY_HTTP_ADDR: ':6000',
      REGISTRY_LOG_LEVEL: 'error',
    });
    expect(source).to.equal('config.yml');
    expect(config.storage.filesystem?.rootDirectory).to.equal('/from/env');
    expect(config.storage.delete.enabled).to.equal(true);
    expect(config.http.listen).to.deep.equal({ net: 'tcp', host: undefined, port: 6000 });
    expect(config.log.level).to.equal('error');
    expect(config.http.secret).to.equal('file-secret');
  });

  it('matches keys written in any case in the file', function () {
    const { config } = parse(withVersion('Storage:\n  FileSystem:\n    RootDirectory: /mixed\n'), { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/env' });
    expect(config.storage.filesystem?.rootDirectory).to.equal('/env');
    expect(config.raw['Storage']).to.deep.equal({ FileSystem: { RootDirectory: '/env' } });
  });

  it('REGISTRY_STORAGE=s3 replaces the whole storage section with an s3 driver, as distribution does', function () {
    const { config } = parse(FILE, { REGISTRY_STORAGE: 's3' });
    expect(config.storage.driver).to.equal('s3');
    expect(config.storage.s3).to.deep.equal({});
    expect(config.storage.filesystem).to.equal(undefined);
    // The file's storage.delete went with the section it lived in.
    expect(config.raw['storage']).to.deep.equal({ s3: {} });
  });

  it('applies variables in sorted order: REGISTRY_STORAGE first, then the parameters under it', function () {
    // Object key order puts the parameters first; sorting must not.
    const { config } = parse(FILE, {
      REGISTRY_STORAGE_S3_REGION: 'eu-west-1',
      REGISTRY_STORAGE_S3_BUCKET: 'images',
      REGISTRY_STORAGE_DELETE_ENABLED: 'true',
      REGISTRY_STORAGE: 's3',
    });
    expect(config.storage.driver).to.equal('s3');
    expect(config.storage.s3).to.deep.equal({ bucket: 'images', region: 'eu-west-1' });
    expect(config.storage.delete.enabled).to.equal(true);
  });

  it('a later, more specific variable wins over the section a shorter one set', function () {
    const { config } = parse(undefined, {
      REGISTRY_HTTP_DEBUG_ADDR: ':5002',
      REGISTRY_HTTP_DEBUG: '{addr: ":5001", prometheus: {enabled: true}}',
    });
    expect(config.http.debug?.listen).to.deep.equal({ net: 'tcp', host: undefined, port: 5002 });
    expect(config.http.debug?.prometheus.enabled).to.equal(true);
  });

  it('REGISTRY_STORAGE may also be a whole YAML mapping', function () {
    const { config } = parse(undefined, { REGISTRY_STORAGE: '{inmemory: {}, delete: {enabled: true}}' });
    expect(config.storage.driver).to.equal('inmemory');
    expect(config.storage.delete.enabled).to.equal(true);
  });

  it('an s3 variable next to a filesystem file is a second driver and stops startup', function () {
    expect(() => parse(FILE, { REGISTRY_STORAGE_S3_BUCKET: 'images' })).to.throw(
      'invalid configuration: storage: exactly one storage driver may be configured, found filesystem, s3 (set by REGISTRY_STORAGE_S3_BUCKET)',
    );
  });

  it('sets an element of a list by index, and appends at the index equal to its length', function () {
    const file = withVersion('http:\n  tls:\n    certificate: c\n    key: k\n    clientcas: [/a.pem, /b.pem]\n');
    const { config } = parse(file, { REGISTRY_HTTP_TLS_CLIENTCAS_0: '/new-a.pem', REGISTRY_HTTP_TLS_CLIENTCAS_2: '/c.pem' });
    expect(config.http.tls?.clientCas).to.deep.equal(['/new-a.pem', '/b.pem', '/c.pem']);
  });

  it('an index past the end of a list stops startup, naming the variable', function () {
    expect(() => parse(undefined, { REGISTRY_HTTP_TLS_CLIENTCAS_3: '/c.pem' })).to.throw(/http\.tls\.clientcas: index 3 is past the end .*REGISTRY_HTTP_TLS_CLIENTCAS_3/);
  });

  it('reads distribution\'s REGISTRY_AUTH=htpasswd variables into the auth section, without a warning', function () {
    const { config, warnings } = parse(undefined, {
      REGISTRY_AUTH: 'htpasswd',
      REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm',
      REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd',
    });
    expect(config.auth?.htpasswd).to.deep.equal({ realm: 'Registry Realm', path: '/auth/htpasswd', bcryptCost: 10 });
    expect(config.auth?.token).to.equal(undefined);
    expect(config.ignoredKeys).to.deep.equal([]);
    expect(warnings.filter((w) => w.includes('auth'))).to.deep.equal([]);
  });

  it('writes variables for sections we do not run into raw, and warns about the section', function () {
    const { config, warnings } = parse(undefined, {
      REGISTRY_HEALTH_STORAGEDRIVER_ENABLED: 'true',
      REGISTRY_HEALTH_STORAGEDRIVER_INTERVAL: '10s',
    });
    expect(config.raw['health']).to.deep.equal({ storagedriver: { enabled: true, interval: '10s' } });
    expect(config.ignoredKeys).to.deep.equal(['health']);
    expect(warnings).to.include('configuration key "health" is not supported yet and is ignored');
  });

  it('turns mirror mode on from REGISTRY_PROXY_* alone', function () {
    const { config, warnings } = parse(undefined, {
      REGISTRY_PROXY_REMOTEURL: 'https://registry-1.docker.io',
      REGISTRY_PROXY_USERNAME: 'hubuser',
      REGISTRY_PROXY_PASSWORD: 'hubsecret',
      REGISTRY_PROXY_TTL: '72h',
    });
    expect(config.proxy.upstreams).to.deep.equal([
      { name: 'docker.io', url: 'https://registry-1.docker.io', hosts: [], prefix: '', username: 'hubuser', password: 'hubsecret' },
    ]);
    expect(config.proxy.cache.maxIdleMs).to.equal(72 * 3_600_000);
    expect(warnings.filter((w) => w.includes('proxy'))).to.deep.equal([]);
  });

  it('warns about a REGISTRY_ variable that names no key, and ignores it', function () {
    const { warnings } = parse(undefined, { REGISTRY_HTTP_ADRESS: ':1', REGISTRY_PORT: 'tcp://10.0.0.1:5000' });
    expect(warnings).to.include('ignoring unrecognized environment variable REGISTRY_HTTP_ADRESS');
    expect(warnings).to.include('ignoring unrecognized environment variable REGISTRY_PORT');
  });

  it('matches the path in upper case only, as distribution does', function () {
    const { config, warnings } = parse(undefined, { REGISTRY_http_addr: ':7000' });
    expect(config.http.addrIsDefault).to.equal(true);
    expect(warnings).to.include('ignoring unrecognized environment variable REGISTRY_http_addr');
  });

  it('warns when a variable reaches below a single value', function () {
    const { warnings } = parse(undefined, { REGISTRY_HTTP_ADDR_PORT: '1' });
    expect(warnings).to.include('ignoring environment variable REGISTRY_HTTP_ADDR_PORT: http.addr is not a mapping');
  });

  it('does not treat REGISTRY_CONFIGURATION_PATH (where the file is) as a key', function () {
    const { warnings } = parse(undefined, { REGISTRY_CONFIGURATION_PATH: '/etc/docker/registry/config.yml' });
    expect(warnings).to.deep.equal(['configuration key "version" is not set; assuming 0.1']);
  });

  it('ignores variables without the REGISTRY_ prefix', function () {
    const { config, warnings } = parse(undefined, { HTTP_ADDR: ':1', registry_http_addr: ':2', PATH: '/usr/bin' });
    expect(config.http.addrIsDefault).to.equal(true);
    expect(warnings).to.have.length(1);
  });

  it('an empty value clears the key, so its default applies', function () {
    const { config } = parse(FILE, { REGISTRY_HTTP_ADDR: '' });
    expect(config.http.addr).to.equal('0.0.0.0:5000');
  });

  it('REGISTRY_VERSION can supply the version when there is no file', function () {
    const { warnings } = parse(undefined, { REGISTRY_VERSION: '0.1' });
    expect(warnings).to.deep.equal([]);
  });

  it('REGISTRY_LOG_FIELDS_<NAME> adds a log field, named in lower case', function () {
    const { config } = parse(undefined, { REGISTRY_LOG_FIELDS_ENVIRONMENT: 'staging' });
    expect(config.log.fields).to.deep.equal({ environment: 'staging' });
  });
});
