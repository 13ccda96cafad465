// Real distribution configuration files load as they are: Debian's docker-registry package, the
// examples in distribution's repository and docs. Keys we do not run yet are warned about, not fatal.
import { expect } from 'chai';
import { expectInvalid, parse } from './config-test-helpers.js';

// /etc/docker/registry/config.yml as Debian's docker-registry package ships it.
const DEBIAN_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/docker-registry
  delete:
    enabled: true
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/docker/registry
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

// distribution's cmd/registry/config-example.yml (what the registry:3 image ships).
const DISTRIBUTION_EXAMPLE = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
  tag:
    concurrencylimit: 8
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/registry
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

// "Example: Development configuration" from distribution's docs/content/about/configuration.md.
const DEVELOPMENT_EXAMPLE = `version: 0.1
log:
  level: debug
storage:
    filesystem:
        rootdirectory: /var/lib/registry
http:
    addr: localhost:5000
    secret: asecretforlocaldevelopment
    debug:
        addr: localhost:5001
`;

// The docs' "List of configuration options", cut to one storage driver and one auth provider (the
// listing shows alternatives side by side and repeats two keys, so it is not a loadable file as printed).
const OPTIONS_LISTING = `version: 0.1
log:
  accesslog:
    disabled: true
  level: debug
  formatter: text
  fields:
    service: registry
    environment: staging
  hooks:
    - type: mail
      disabled: true
      levels:
        - panic
      options:
        smtp:
          addr: mail.example.com:25
          username: mailuser
          password: password
          insecure: true
        from: sender@example.com
        to:
          - errors@example.com
loglevel: debug # deprecated: use "log"
storage:
  s3:
    accesskey: awsaccesskey
    secretkey: awssecretkey
    region: us-west-1
    regionendpoint: http://myobjects.local
    forcepathstyle: true
    accelerate: false
    bucket: bucketname
    encrypt: true
    keyid: mykeyid
    secure: true
    v4auth: true
    chunksize: 5242880
    multipartcopychunksize: 33554432
    multipartcopymaxconcurrency: 100
    multipartcopythresholdsize: 33554432
    rootdirectory: /s3/object/name/prefix
    usedualstack: false
    usefipsendpoint: false
    loglevel: debug
  tag:
    concurrencylimit: 8
  delete:
    enabled: false
  redirect:
    disable: false
  cache:
    blobdescriptor: redis
    blobdescriptorsize: 10000
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
    readonly:
      enabled: false
auth:
  htpasswd:
    realm: basic-realm
    path: /path/to/htpasswd
middleware:
  registry:
    - name: ARegistryMiddleware
      options:
        foo: bar
  storage:
    - name: cloudfront
      options:
        baseurl: https://my.cloudfronted.domain.com/
        privatekey: /path/to/pem
        keypairid: cloudfrontkeypairid
        duration: 3000s
catalog:
  maxentries: 1000
tags:
  maxtags: 1000
http:
  addr: localhost:5000
  prefix: /my/nested/registry/
  host: https://myregistryaddress.org:5000
  secret: asecretforlocaldevelopment
  relativeurls: false
  draintimeout: 60s
  tls:
    certificate: /path/to/x509/public
    key: /path/to/x509/private
    clientcas:
      - /path/to/ca.pem
      - /path/to/another/ca.pem
    clientauth: require-and-verify-client-cert
  debug:
    addr: localhost:5001
    prometheus:
      enabled: true
      path: /metrics
  headers:
    X-Content-Type-Options: [nosniff]
  http2:
    disabled: false
  h2c:
    enabled: false
notifications:
  events:
    includereferences: true
  endpoints:
    - name: alistener
      disabled: false
      url: https://my.listener.com/event
      timeout: 1s
      threshold: 10
      backoff: 1s
redis:
  addrs: [localhost:6379]
  password: asecret
  db: 0
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
proxy:
  remoteurl: https://registry-1.docker.io
  username: hubuser
  password: hubsecret
  ttl: 168h
validation:
  manifests:
    urls:
      allow:
        - ^https?://([^/]+\\.)*example\\.com/
`;

describe('config: distribution sample files', function () {
  describe("Debian's /etc/docker/registry/config.yml", function () {
    const { config, warnings, source } = parse(DEBIAN_CONFIG);

    it('is read from the file it names', function () {
      expect(source).to.equal('config.yml');
      expect(config.version).to.equal('0.1');
    });

    it('stores on the filesystem under /var/lib/docker-registry with deletes enabled', function () {
      expect(config.storage.driver).to.equal('filesystem');
      expect(config.storage.driverIsDefault).to.equal(false);
      expect(config.storage.filesystem).to.deep.equal({ rootDirectory: '/var/lib/docker-registry', maxThreads: 100 });
      expect(config.storage.delete.enabled).to.equal(true);
    });

    it('listens on :5000 on every interface', function () {
      expect(config.http.addr).to.equal(':5000');
      expect(config.http.addrIsDefault).to.equal(false);
      expect(config.http.listen).to.deep.equal({ net: 'tcp', host: undefined, port: 5000 });
    });

    it('adds X-Content-Type-Options: nosniff and the service log field', function () {
      expect(config.http.headers).to.deep.equal({ 'X-Content-Type-Options': ['nosniff'] });
      expect(config.log.fields).to.deep.equal({ service: 'registry' });
    });

    it('warns that the blob cache and health checks are ignored, and nothing else', function () {
      expect(warnings).to.deep.equal([
        'configuration key "storage.cache" is not supported yet and is ignored',
        'configuration key "health" is not supported yet and is ignored',
      ]);
    });

    it('lists the ignored keys for the server to judge', function () {
      expect(config.ignoredKeys).to.deep.equal(['storage.cache', 'health']);
    });

    it('keeps the ignored sections in raw for later', function () {
      expect(config.raw['health']).to.deep.equal({ storagedriver: { enabled: true, interval: '10s', threshold: 3 } });
      expect(config.raw['storage']).to.have.nested.property('cache.blobdescriptor', 'inmemory');
    });

    it('authenticates with the htpasswd file it names, in realm basic-realm, with open access for its users', function () {
      expect(config.auth?.htpasswd).to.deep.equal({ realm: 'basic-realm', path: '/etc/docker/registry', bcryptCost: 10 });
      expect(config.auth?.token).to.equal(undefined);
      expect(config.auth?.access).to.equal(undefined);
    });
  });

  describe('the type shorthand distribution allows for storage and auth', function () {
    it('reads "storage: inmemory" as the inmemory driver with no parameters', function () {
      const { config } = parse('version: 0.1\nstorage: inmemory\n');
      expect(config.storage.driver).to.equal('inmemory');
      expect(config.raw['storage']).to.deep.equal({ inmemory: {} });
    });

    it('reads "auth: htpasswd" as an htpasswd section, which then needs its path', function () {
      expectInvalid(() => parse('version: 0.1\nstorage: inmemory\nauth: htpasswd\n'), 'auth.htpasswd.path', 'is required');
    });

    it('takes the path of an "auth: htpasswd" shorthand from REGISTRY_AUTH_HTPASSWD_PATH', function () {
      const { config } = parse('version: 0.1\nstorage: inmemory\nauth: htpasswd\n', { REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd' });
      expect(config.raw['auth']).to.deep.equal({ htpasswd: { path: '/auth/htpasswd' } });
      expect(config.auth?.htpasswd).to.deep.equal({ realm: 'private-registry', path: '/auth/htpasswd', bcryptCost: 10 });
    });
  });

  describe("distribution's cmd/registry/config-example.yml", function () {
    const { config, warnings } = parse(DISTRIBUTION_EXAMPLE);

    it('stores under /var/lib/registry and listens on :5000', function () {
      expect(config.storage.filesystem?.rootDirectory).to.equal('/var/lib/registry');
      expect(config.http.listen).to.deep.equal({ net: 'tcp', host: undefined, port: 5000 });
    });

    it('warns about storage.tag among the ignored keys', function () {
      expect(warnings).to.deep.equal([
        'configuration key "storage.cache" is not supported yet and is ignored',
        'configuration key "storage.tag" is not supported yet and is ignored',
        'configuration key "health" is not supported yet and is ignored',
      ]);
    });

    it('authenticates with the htpasswd file at /etc/registry', function () {
      expect(config.auth?.htpasswd).to.deep.equal({ realm: 'basic-realm', path: '/etc/registry', bcryptCost: 10 });
    });
  });

  describe("the docs' development example", function () {
    const { config, warnings } = parse(DEVELOPMENT_EXAMPLE);

    it('logs at debug, listens on localhost:5000, keeps the secret, runs a debug server on localhost:5001', function () {
      expect(warnings).to.deep.equal([]);
      expect(config.log.level).to.equal('debug');
      expect(config.http.listen).to.deep.equal({ net: 'tcp', host: 'localhost', port: 5000 });
      expect(config.http.secret).to.equal('asecretforlocaldevelopment');
      expect(config.http.debug).to.deep.equal({
        addr: 'localhost:5001',
        listen: { net: 'tcp', host: 'localhost', port: 5001 },
        prometheus: { enabled: false, path: '/metrics' },
      });
    });
  });

  describe("the docs' list of configuration options (one driver, one auth provider)", function () {
    const { config, warnings } = parse(OPTIONS_LISTING);

    it('reads the log section, preferring log.level over the deprecated loglevel', function () {
      expect(config.log).to.deep.equal({
        level: 'debug',
        formatter: 'text',
        fields: { service: 'registry', environment: 'staging' },
        accessLog: { disabled: true },
      });
      expect(warnings).to.include('configuration key "loglevel" is deprecated and ignored because "log.level" is set');
    });

    it('selects the s3 driver and hands its parameters over as written', function () {
      expect(config.storage.driver).to.equal('s3');
      expect(config.storage.filesystem).to.equal(undefined);
      expect(config.storage.s3).to.include({ region: 'us-west-1', bucket: 'bucketname', forcepathstyle: true, chunksize: 5242880 });
    });

    it('reads maintenance, delete and redirect', function () {
      expect(config.storage.delete.enabled).to.equal(false);
      expect(config.storage.redirect.disable).to.equal(false);
      expect(config.storage.maintenance.uploadPurging).to.deep.equal({ enabled: true, ageMs: 604_800_000, intervalMs: 86_400_000, dryRun: false });
    });

    it('reads the http section: prefix, host, drain timeout, TLS with client CAs, debug with prometheus', function () {
      const { http } = config;
      expect(http.listen).to.deep.equal({ net: 'tcp', host: 'localhost', port: 5000 });
      expect(http.prefix).to.equal('/my/nested/registry/');
      expect(http.host).to.equal('https://myregistryaddress.org:5000');
      expect(http.drainTimeoutMs).to.equal(60_000);
      expect(http.tls).to.deep.equal({
        certificate: '/path/to/x509/public',
        key: '/path/to/x509/private',
        clientCas: ['/path/to/ca.pem', '/path/to/another/ca.pem'],
        clientAuth: 'require-and-verify-client-cert',
        minimumTls: 'tls1.2',
        cipherSuites: [],
      });
      expect(http.debug?.prometheus).to.deep.equal({ enabled: true, path: '/metrics' });
    });

    it('reads the proxy section as a Docker Hub upstream, its ttl as the cache idle age', function () {
      expect(config.proxy.upstreams).to.deep.equal([
        { name: 'docker.io', url: 'https://registry-1.docker.io', hosts: [], prefix: '', username: 'hubuser', password: 'hubsecret' },
      ]);
      expect(config.proxy.cache).to.deep.equal({ maxIdleMs: 168 * 3_600_000, intervalMs: 600_000 });
    });

    it('warns once per ignored section, naming its path', function () {
      for (const key of [
        'log.hooks',
        'storage.tag',
        'storage.cache',
        'middleware',
        'http.http2',
        'http.h2c',
        'redis',
        'health',
        'validation',
      ]) {
        expect(warnings).to.include(`configuration key "${key}" is not supported yet and is ignored`);
      }
      expect(warnings.filter((w) => w.includes('"auth'))).to.deep.equal([]);
      expect(warnings.filter((w) => w.startsWith('unknown'))).to.deep.equal([]);
    });

    it('reads the htpasswd auth provider', function () {
      expect(config.auth?.htpasswd).to.deep.equal({ realm: 'basic-realm', path: '/path/to/htpasswd', bcryptCost: 10 });
    });

    it('stops on the listing as printed: four storage drivers side by side', function () {
      const fourDrivers = OPTIONS_LISTING.replace('storage:\n  s3:', 'storage:\n  filesystem:\n    rootdirectory: /x\n  azure:\n    accountname: a\n  inmemory:\n  s3:');
      expect(() => parse(fourDrivers)).to.throw('invalid configuration: storage: exactly one storage driver may be configured, found filesystem, azure, inmemory, s3');
    });
  });
});
