// Shared by the configuration tests: parse a YAML string, and assert a ConfigError naming a key.
import { expect } from 'chai';
import { ConfigError, parseConfig, type LoadedConfig } from '../../src/config/index.js';

export function parse(yaml: string | undefined, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  return parseConfig(yaml, env, yaml === undefined ? 'defaults' : 'config.yml');
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

/** A minimal valid file with the given extra YAML appended. */
export function withVersion(yaml: string): string {
  return `version: 0.1\n${yaml}`;
}

/** The one unsupported-key warning that carries a consequence: auth is not enforced. */
export const AUTH_WARNING =
  'configuration key "auth" is not supported yet and is ignored: the registry does NOT authenticate requests; put an authenticating proxy in front of it';
