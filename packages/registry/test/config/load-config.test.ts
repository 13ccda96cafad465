// loadConfig reads the file it is given (or $REGISTRY_CONFIGURATION_PATH), or runs on defaults.
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';

describe('config: loadConfig', function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'registry-config-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a config.yml and reports its path as the source', async function () {
    const file = join(dir, 'config.yml');
    await writeFile(file, 'version: 0.1\nstorage:\n  inmemory:\nhttp:\n  addr: 127.0.0.1:0\n');
    const { config, source, warnings } = await loadConfig({ file, env: {} });
    expect(source).to.equal(file);
    expect(config.storage.driver).to.equal('inmemory');
    expect(config.http.listen).to.deep.equal({ net: 'tcp', host: '127.0.0.1', port: 0 });
    expect(warnings).to.deep.equal([]);
  });

  it('applies the environment it is given over the file', async function () {
    const file = join(dir, 'env.yml');
    await writeFile(file, 'version: 0.1\nstorage: inmemory\nhttp:\n  addr: :5000\n');
    const { config } = await loadConfig({ file, env: { REGISTRY_HTTP_ADDR: ':6000' } });
    expect(config.http.addr).to.equal(':6000');
  });

  it('runs on defaults without a file', async function () {
    const { source, config } = await loadConfig({ env: {} });
    expect(source).to.equal('defaults');
    expect(config.http.addrIsDefault).to.equal(true);
  });

  it('falls back to REGISTRY_CONFIGURATION_PATH, as distribution does', async function () {
    const file = join(dir, 'from-env.yml');
    await writeFile(file, 'version: 0.1\nstorage: inmemory\nlog:\n  level: debug\n');
    const { source, config } = await loadConfig({ env: { REGISTRY_CONFIGURATION_PATH: file } });
    expect(source).to.equal(file);
    expect(config.log.level).to.equal('debug');
  });

  it('fails with a ConfigError naming a missing file', async function () {
    const file = join(dir, 'missing.yml');
    const err = await loadConfig({ file, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal('CONFIG_FILE_UNREADABLE');
    expect((err as ConfigError).message).to.equal(`cannot read configuration file ${file}: no such file`);
    expect((err as ConfigError).source).to.equal(file);
  });

  it('fails with a ConfigError when the path is a directory', async function () {
    const err = await loadConfig({ file: dir, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ConfigError).message).to.include(dir);
    expect((err as ConfigError).code).to.equal('CONFIG_FILE_UNREADABLE');
  });

  it('passes a bad value in the file on as CONFIG_INVALID with the file as source', async function () {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'version: 0.1\nstorage: inmemory\nhttp:\n  addr: abc\n');
    const err = await loadConfig({ file, env: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as ConfigError).code).to.equal('CONFIG_INVALID');
    expect((err as ConfigError).key).to.equal('http.addr');
    expect((err as ConfigError).source).to.equal(file);
  });
});
