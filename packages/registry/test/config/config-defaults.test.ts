// With no file and no REGISTRY_* variables the registry still starts: every default, spelled out.
import { expect } from 'chai';
import { parse } from './config-test-helpers.js';

describe('config: defaults', function () {
  const { config, warnings, source } = parse(undefined);

  it('says the configuration came from defaults', function () {
    expect(source).to.equal('defaults');
  });

  it('assumes version 0.1 and warns that it was not set', function () {
    expect(config.version).to.equal('0.1');
    expect(warnings).to.deep.equal(['configuration key "version" is not set; assuming 0.1']);
  });

  it('listens on 0.0.0.0:5000 and says the address is the default', function () {
    expect(config.http.addr).to.equal('0.0.0.0:5000');
    expect(config.http.addrIsDefault).to.equal(true);
    expect(config.http.net).to.equal('tcp');
    expect(config.http.listen).to.deep.equal({ net: 'tcp', host: '0.0.0.0', port: 5000 });
  });

  it("stores on the filesystem under distribution's /var/lib/registry where the process may create it", function () {
    expect(config.storage.driver).to.equal('filesystem');
    expect(config.storage.driverIsDefault).to.equal(true);
    expect(config.storage.filesystem).to.deep.equal({ rootDirectory: '/var/lib/registry', maxThreads: 100 });
    expect(config.storage.s3).to.equal(undefined);
  });

  it('keeps deletes off, redirects on, upload purging weekly-aged and daily, read-only off', function () {
    expect(config.storage.delete).to.deep.equal({ enabled: false });
    expect(config.storage.redirect).to.deep.equal({ disable: false });
    expect(config.storage.maintenance).to.deep.equal({
      uploadPurging: { enabled: true, ageMs: 168 * 3_600_000, intervalMs: 24 * 3_600_000, dryRun: false },
      readOnly: { enabled: false },
    });
  });

  it('drains for 10s on shutdown, has no prefix, host, secret, TLS, headers or debug server', function () {
    const { http } = config;
    expect(http.drainTimeoutMs).to.equal(10_000);
    expect(http.prefix).to.equal('');
    expect(http.host).to.equal(undefined);
    expect(http.secret).to.equal(undefined);
    expect(http.relativeUrls).to.equal(false);
    expect(http.tls).to.equal(undefined);
    expect(http.headers).to.deep.equal({});
    expect(http.debug).to.equal(undefined);
  });

  it('logs at info level as JSON with access logs on', function () {
    expect(config.log).to.deep.equal({ level: 'info', formatter: 'json', fields: {}, accessLog: { disabled: false } });
  });

  it('pages catalog and tag lists at 1000 entries, like distribution', function () {
    expect(config.catalog).to.deep.equal({ maxEntries: 1000 });
    expect(config.tags).to.deep.equal({ maxTags: 1000 });
  });

  it('has an empty raw tree', function () {
    expect(config.raw).to.deep.equal({});
  });

  it('fills in defaults around a file that sets only a few keys', function () {
    const loaded = parse('version: 0.1\nstorage:\n  filesystem:\n  delete:\n    enabled: true\n');
    expect(loaded.warnings).to.deep.equal([]);
    expect(loaded.config.storage.driver).to.equal('filesystem');
    expect(loaded.config.storage.driverIsDefault).to.equal(false);
    expect(loaded.config.storage.filesystem?.rootDirectory).to.equal('/var/lib/registry');
    expect(loaded.config.storage.delete.enabled).to.equal(true);
    expect(loaded.config.http.addrIsDefault).to.equal(true);
  });
});
