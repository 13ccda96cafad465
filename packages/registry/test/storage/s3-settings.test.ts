// The S3 driver's parameters as operators write them today (distribution's names, in config.yml or as
// REGISTRY_STORAGE_S3_* variables), read through the real configuration loader.
import { inspect } from 'node:util';
import { expect } from 'chai';
import { ConfigError } from '../../src/config/index.js';
import { createStorageDriver } from '../../src/storage/create-driver.js';
import { createS3Client } from '../../src/storage/s3/s3-client.js';
import { parseS3Settings, type S3Settings } from '../../src/storage/s3/s3-settings.js';
import { parse, withVersion } from '../config/config-test-helpers.js';

const MiB = 1024 * 1024;
const SECRET = 'wJalrXUtnFEMI-secret-K7MDENG';

/** Settings from a raw parameter map, with the warnings they produced. */
function settingsOf(raw: Record<string, unknown>): { settings: S3Settings; warnings: string[] } {
  const warnings: string[] = [];
  return { settings: parseS3Settings(raw, (w) => warnings.push(w)), warnings };
}

function invalid(raw: Record<string, unknown>, key: string, ...fragments: string[]): ConfigError {
  let caught: unknown;
  try {
    parseS3Settings(raw, () => undefined);
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ConfigError').to.be.instanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.key).to.equal(key);
  expect(err.message).to.match(new RegExp(`^invalid configuration: ${key.replace(/\./g, '\\.')}: `));
  for (const fragment of fragments) expect(err.message).to.include(fragment);
  expect(err.message).to.not.include(SECRET);
  return err;
}

const MINIMAL = { bucket: 'images', region: 'eu-west-1' };

describe('S3 storage settings', function () {
  it('reads the environment-only shape: REGISTRY_STORAGE=s3 and REGISTRY_STORAGE_S3_* variables', async function () {
    const { config } = parse(undefined, {
      REGISTRY_STORAGE: 's3',
      REGISTRY_STORAGE_S3_ACCESSKEY: 'AKIAEXAMPLE',
      REGISTRY_STORAGE_S3_SECRETKEY: SECRET,
      REGISTRY_STORAGE_S3_REGION: 'eu-west-1',
      REGISTRY_STORAGE_S3_BUCKET: 'images',
    });
    expect(config.storage.driver).to.equal('s3');
    const { settings, warnings } = settingsOf(config.storage.s3 ?? {});
    expect(warnings).to.deep.equal([]);
    expect(settings).to.include({ bucket: 'images', region: 'eu-west-1', endpoint: undefined, forcePathStyle: false, secure: true, rootDirectory: '' });
    expect(settings.credentials?.forSdk()).to.deep.equal({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET });
    // distribution's defaults
    expect(settings).to.include({ chunkSize: 10 * MiB, multipartCopyChunkSize: 32 * MiB, multipartCopyThresholdSize: 32 * MiB, multipartCopyMaxConcurrency: 100 });
    expect((await createStorageDriver(config.storage)).name).to.equal('s3');
  });

  it('reads the config.yml shape with v4auth: no, redirect disabled and deletes enabled, warning about v4auth', async function () {
    const { config } = parse(
      withVersion(
        [
          'storage:',
          '  s3:',
          '    accesskey: AKIAEXAMPLE',
          `    secretkey: ${SECRET}`,
          '    region: us-east-1',
          '    regionendpoint: minio.internal:9000',
          '    secure: false',
          '    bucket: registry',
          '    v4auth: no',
          '  redirect:',
          '    disable: yes',
          '  delete:',
          '    enabled: true',
          '',
        ].join('\n'),
      ),
    );
    expect(config.storage.redirect.disable).to.equal(true);
    expect(config.storage.delete.enabled).to.equal(true);
    const { settings, warnings } = settingsOf(config.storage.s3 ?? {});
    expect(settings).to.include({ endpoint: 'http://minio.internal:9000', forcePathStyle: true, bucket: 'registry', secure: false });
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/^storage\.s3\.v4auth: false is not supported/).and.include('signature version 4');
    const driverWarnings: string[] = [];
    const driver = await createStorageDriver(config.storage, { warn: (w) => driverWarnings.push(w) });
    expect(driverWarnings).to.deep.equal(warnings);
    // Redirects are off: the registry streams blobs itself (no S3 request is needed to know).
    expect(await driver.redirectUrl('/docker/registry/v2/blobs/sha256/ab/abcd/data', 'GET')).to.equal(null);
  });

  it('leaves credentials to the AWS default chain when no access key is configured', async function () {
    const { settings } = settingsOf(MINIMAL);
    expect(settings.credentials).to.equal(undefined);
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIAFROMENV';
    process.env['AWS_SECRET_ACCESS_KEY'] = SECRET;
    try {
      const credentials = await createS3Client(settings).config.credentials();
      expect(credentials.accessKeyId).to.equal('AKIAFROMENV');
    } finally {
      for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('takes distribution sample parameters: rootdirectory, encryption with a KMS key, storage class, ACL, sizes', function () {
    const { settings, warnings } = settingsOf({
      ...MINIMAL,
      RegionEndpoint: 'https://s3.example.com/',
      forcepathstyle: 'false',
      rootdirectory: '/s3/object/name/prefix/',
      encrypt: true,
      keyid: 'mykeyid',
      storageclass: 'reduced_redundancy',
      objectacl: 'bucket-owner-full-control',
      chunksize: '0x500000',
      multipartcopychunksize: '64MiB',
      multipartcopythresholdsize: 33554432,
      skipverify: 'true',
      usedualstack: false,
      accelerate: false,
      loglevel: 'debug',
    });
    expect(settings).to.include({
      endpoint: 'https://s3.example.com',
      forcePathStyle: false,
      rootDirectory: 's3/object/name/prefix',
      storageClass: 'REDUCED_REDUNDANCY',
      objectAcl: 'bucket-owner-full-control',
      chunkSize: 5 * MiB,
      multipartCopyChunkSize: 64 * MiB,
      multipartCopyThresholdSize: 32 * MiB,
      skipVerify: true,
    });
    expect(settings.encryption).to.deep.equal({ kmsKeyId: 'mykeyid' });
    expect(warnings).to.deep.equal(['storage.s3.loglevel is not supported by this registry and is ignored']);
  });

  it('sends no storage class or ACL header for the defaults (STANDARD, NONE, private)', function () {
    for (const storageclass of ['STANDARD', 'none']) expect(settingsOf({ ...MINIMAL, storageclass }).settings.storageClass).to.equal(undefined);
    // "private" is what an object gets without a header, and buckets with ACLs disabled refuse the header.
    expect(settingsOf({ ...MINIMAL, objectacl: 'private' }).settings.objectAcl).to.equal(undefined);
  });

  it('warns about a key the S3 driver does not know, naming it', function () {
    expect(settingsOf({ ...MINIMAL, regionendpiont: 'http://x' }).warnings).to.deep.equal([
      'storage.s3.regionendpiont is not a parameter of the S3 storage driver and is ignored',
    ]);
  });

  it('requires a bucket and a region, naming the key', function () {
    invalid({ region: 'eu-west-1' }, 'storage.s3.bucket', 'is required');
    invalid({ bucket: 'images' }, 'storage.s3.region', 'is required');
    invalid({ ...MINIMAL, region: 'eu west' }, 'storage.s3.region', 'is not a region name');
  });

  it('refuses a chunk size below S3 5 MiB part minimum, or one that is no size', function () {
    invalid({ ...MINIMAL, chunksize: 1024 }, 'storage.s3.chunksize', '1024 is out of range', String(5 * MiB));
    invalid({ ...MINIMAL, chunksize: 'big' }, 'storage.s3.chunksize', 'expected an integer, got "big"');
    invalid({ ...MINIMAL, multipartcopychunksize: 6 * 1024 * MiB }, 'storage.s3.multipartcopychunksize', 'out of range');
  });

  it('refuses values of the wrong kind, naming the key', function () {
    invalid({ ...MINIMAL, secure: 'sometimes' }, 'storage.s3.secure', 'expected a boolean, got "sometimes"');
    invalid({ ...MINIMAL, storageclass: 'GLACIER' }, 'storage.s3.storageclass', '"GLACIER" is not one of NONE, STANDARD');
    invalid({ ...MINIMAL, objectacl: 'everyone' }, 'storage.s3.objectacl', 'is not one of private');
    invalid({ ...MINIMAL, regionendpoint: 'ftp://files.example.com' }, 'storage.s3.regionendpoint', 'must be an http or https URL');
    invalid({ ...MINIMAL, bucket: ['a', 'b'] }, 'storage.s3.bucket', 'expected a string, got a list');
  });

  it('never shows a secret: not in errors, nor when the settings are logged', function () {
    invalid({ ...MINIMAL, secretkey: SECRET }, 'storage.s3.accesskey', 'is required when storage.s3.secretkey is set');
    invalid({ ...MINIMAL, accesskey: 'AKIAEXAMPLE', secretkey: { nested: SECRET } }, 'storage.s3.secretkey', 'expected a string, got a mapping');
    invalid({ ...MINIMAL, accesskey: 'AKIAEXAMPLE', secretkey: 42, sessiontoken: ['x'] }, 'storage.s3.sessiontoken', 'got a list');
    invalid({ ...MINIMAL, regionendpoint: `https://user:${SECRET}@minio:9000` }, 'storage.s3.regionendpoint', 'must not contain a user name or password');
    const { settings } = settingsOf({ ...MINIMAL, accesskey: 'AKIAEXAMPLE', secretkey: SECRET, sessiontoken: `${SECRET}-token` });
    expect(JSON.stringify(settings)).to.not.include(SECRET);
    expect(inspect(settings, { depth: 5, showHidden: true })).to.not.include(SECRET);
    expect(settings.credentials?.forSdk().sessionToken).to.equal(`${SECRET}-token`);
  });

  it('treats keys case-insensitively, refusing one given twice', function () {
    expect(settingsOf({ Bucket: 'images', REGION: 'eu-west-1' }).settings.bucket).to.equal('images');
    invalid({ ...MINIMAL, Bucket: 'other' }, 'storage.s3.bucket', 'given more than once');
  });
});
