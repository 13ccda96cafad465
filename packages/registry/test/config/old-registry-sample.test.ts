// The old Python docker-registry's own config/config_sample.yml, unchanged, read as a flavors file: the
// default dev flavor on local disk, prod on S3 from its AWS_* variables, and a warning per key with no meaning here.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from './config-test-helpers.js';

const SAMPLE = readFileSync(new URL('./fixtures/docker-registry-config_sample.yml', import.meta.url), 'utf8');

describe("config: the old docker-registry's config_sample.yml", function () {
  it('runs dev on local disk under /tmp/registry, at debug level, as the old registry did', function () {
    const { config, flavor, unknownKeys } = parse(SAMPLE);
    expect(flavor).to.equal('dev');
    expect(unknownKeys).to.deep.equal([]);
    expect(config.storage.driver).to.equal('filesystem');
    expect(config.storage.filesystem?.rootDirectory).to.equal('/tmp/registry');
    expect(config.log.level).to.equal('debug');
    expect(config.mail, 'no smtp_host: no mail, as before').to.equal(undefined);
  });

  it('runs prod on S3 from AWS_BUCKET, AWS_KEY, AWS_SECRET, with STORAGE_PATH as the key prefix', function () {
    const env = { SETTINGS_FLAVOR: 'prod', AWS_BUCKET: 'images', AWS_REGION: 'eu-west-1', AWS_KEY: 'AKIA', AWS_SECRET: 'secret', AWS_HOST: 'minio.internal', AWS_PORT: '9000', AWS_SECURE: 'false' };
    const { config, unknownKeys, warnings } = parse(SAMPLE, env);
    expect(unknownKeys).to.deep.equal([]);
    expect(config.storage.s3).to.deep.equal({
      rootdirectory: '/prod',
      accesskey: 'AKIA',
      secretkey: 'secret',
      bucket: 'images',
      region: 'eu-west-1',
      encrypt: true,
      secure: false,
      regionendpoint: 'minio.internal:9000',
    });
    expect(warnings).to.include('configuration key "standalone" (default of _env:STANDALONE (flavor prod)) of the old docker-registry has no meaning here and is ignored');
  });

  it('names every flavor of the sample when the chosen one is missing', function () {
    expect(() => parse(SAMPLE, { SETTINGS_FLAVOR: 'staging' })).to.throw(/its flavors: local, s3, cloudfronts3, azureblob, ceph-s3, gcs, swift, glance, openstack, glance-swift, openstack-swift, elliptics, oss, dev, test, prod/);
  });

  it('refuses the flavors whose storage this registry does not have, naming it', function () {
    expect(() => parse(SAMPLE, { SETTINGS_FLAVOR: 'swift' })).to.throw(/storage: the old registry's storage "swift" \(flavor swift\) is not available here/);
  });
});
