// Shared by the configuration tests: parse a YAML string, and assert a ConfigError naming a key.
import { expect } from 'chai';
import { ConfigError, parseConfig, type LoadedConfig, type RootDirectoryProbe } from '../../src/config/index.js';

/** A machine where only the directories listed exist, all writable (e.g. ['/var/lib'] for a root process). */
export function fakeProbe(writable: readonly string[], env: NodeJS.ProcessEnv = {}, existing: readonly string[] = writable): RootDirectoryProbe {
  return { env, exists: (path) => existing.includes(path), writableDirectory: (path) => writable.includes(path), homedir: () => '/home/fallback' };
}

/** Where relative paths in the test configurations start. */
export const TEST_CWD = '/srv/work';

/** Parses as a root process would on a machine with a writable /var/lib, in TEST_CWD. */
export function parse(yaml: string | undefined, env: NodeJS.ProcessEnv = {}, probe: RootDirectoryProbe = fakeProbe(['/var/lib'])): LoadedConfig {
  return parseConfig(yaml, env, yaml === undefined ? 'defaults' : 'config.yml', { cwd: TEST_CWD, probe });
}

/** Runs `fn`, expects a CONFIG_INVALID ConfigError whose message names `key` and contains each fragment. */
export function expectInvalid(fn: () => unknown, key: string, ...fragments: string[]): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ConfigError').to.be.instanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.code).to.equal('CONFIG_INVALID');
  expect(err.message).to.match(/^invalid configuration: /);
  if (key !== '') {
    expect(err.key).to.equal(key);
    expect(err.message).to.include(`${key}: `);
  }
  for (const fragment of fragments) expect(err.message).to.include(fragment);
  return err;
}

/** A minimal valid file (a version, and in-memory storage unless `yaml` has a storage section) with `yaml` appended. */
export function withVersion(yaml: string): string {
  const storage = /^storage:/im.test(yaml) ? '' : 'storage:\n  inmemory:\n';
  return `version: 0.1\n${storage}${yaml}`;
}
