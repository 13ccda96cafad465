// The `ui` section: the UI on by default with 8-hour logins, `enabled: false` and REGISTRY_UI_* to change
// that, session lifetimes within bounds, and `discovery` (etcd endpoints required, the sidekicks' prefix).
import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { effectiveConfigYaml } from '../../src/config/effective-config.js';
import { startRegistry } from '../../src/registry-runtime.js';
import { expectInvalid, parse, withVersion } from '../config/config-test-helpers.js';
// For its JSX_RUNTIME_PROBLEM workaround: the pages must render under the test runner (see ui-pages.test.ts).
import './ui-fixture.js';

const HOUR = 3_600_000;

function uiOf(yaml: string, env: NodeJS.ProcessEnv = {}) {
  return parse(withVersion(yaml), env).config.ui;
}

describe('config: the ui section', function () {
  it('defaults to the UI on, logins of 8 hours and no discovery', function () {
    expect(uiOf('')).to.deep.equal({ enabled: true, sessionTtlMs: 8 * HOUR });
    expect(parse(undefined).config.ui).to.deep.equal({ enabled: true, sessionTtlMs: 8 * HOUR });
  });

  it('turns the UI off with ui.enabled: false, or REGISTRY_UI_ENABLED=false over a file that has it on', function () {
    expect(uiOf('ui:\n  enabled: false\n').enabled).to.equal(false);
    expect(uiOf('ui:\n  enabled: true\n', { REGISTRY_UI_ENABLED: 'false' }).enabled).to.equal(false);
    expect(uiOf('', { REGISTRY_UI_ENABLED: 'false' })).to.deep.equal({ enabled: false, sessionTtlMs: 8 * HOUR });
    expect(uiOf('', { REGISTRY_UI_SESSIONTTL: '90m' }).sessionTtlMs).to.equal(90 * 60_000);
  });

  it('accepts a session lifetime from 1m to 720h', function () {
    expect(uiOf('ui:\n  sessionttl: 1m\n').sessionTtlMs).to.equal(60_000);
    expect(uiOf('ui:\n  sessionttl: 720h\n').sessionTtlMs).to.equal(720 * HOUR);
    expect(uiOf('ui:\n  sessionttl: 2h30m\n').sessionTtlMs).to.equal(2.5 * HOUR);
  });

  it('refuses a session lifetime out of bounds or not a duration, naming ui.sessionttl', function () {
    expectInvalid(() => uiOf('ui:\n  sessionttl: 59s\n'), 'ui.sessionttl', 'must be between 1m and 720h');
    expectInvalid(() => uiOf('ui:\n  sessionttl: 721h\n'), 'ui.sessionttl', 'must be between 1m and 720h');
    expectInvalid(() => uiOf('ui:\n  sessionttl: 0s\n'), 'ui.sessionttl', 'must be between 1m and 720h');
    expectInvalid(() => uiOf('ui:\n  sessionttl: forever\n'), 'ui.sessionttl', 'not a duration');
    expectInvalid(() => uiOf('', { REGISTRY_UI_SESSIONTTL: '10s' }), 'ui.sessionttl', 'must be between 1m and 720h');
  });

  it('refuses an enabled that is not a boolean', function () {
    expectInvalid(() => uiOf('ui:\n  enabled: maybe\n'), 'ui.enabled', 'expected a boolean');
  });

  it('reads discovery: endpoints (a list or comma-separated), credentials, and the sidekicks\' default prefix', function () {
    expect(uiOf('ui:\n  discovery:\n    endpoints: [http://10.0.0.1:2379]\n').discovery).to.deep.equal({ endpoints: ['http://10.0.0.1:2379'], prefix: '/services/docker-registry/' });
    expect(uiOf('ui:\n  discovery:\n    endpoints: http://a:2379,https://b:2379\n    prefix: /custom/regs\n    username: ui\n    password: s3cret\n').discovery).to.deep.equal({
      endpoints: ['http://a:2379', 'https://b:2379'],
      prefix: '/custom/regs/',
      username: 'ui',
      password: 's3cret',
    });
  });

  it('refuses discovery without endpoints, or with something that is not one', function () {
    expectInvalid(() => uiOf('ui:\n  discovery:\n    prefix: /x/\n'), 'ui.discovery.endpoints', 'is required when ui.discovery is present');
    expectInvalid(() => uiOf('ui:\n  discovery: {}\n'), 'ui.discovery.endpoints', 'is required');
    expectInvalid(() => uiOf('ui:\n  discovery:\n    endpoints: [10.0.0.1:2379]\n'), 'ui.discovery.endpoints', 'not an etcd endpoint');
    expectInvalid(() => uiOf('ui:\n  discovery:\n    endpoints: [http://a:2379]\n    username: ui\n'), 'ui.discovery.password', 'is required with username');
  });

  it('refuses a relative discovery prefix as a ConfigError naming ui.discovery.prefix', function () {
    expectInvalid(() => uiOf('ui:\n  discovery:\n    endpoints: [http://a:2379]\n    prefix: services/registry\n'), 'ui.discovery.prefix', 'must start with "/"');
  });

  it('knows its keys (no unknown-key warning) and shows them in the effective configuration', function () {
    const loaded = parse(withVersion('ui:\n  enabled: true\n  sessionttl: 12h\n  discovery:\n    endpoints: [http://a:2379]\n    prefix: /p/\n'));
    expect(loaded.unknownKeys).to.deep.equal([]);
    expect(loaded.warnings.join('\n')).to.not.match(/\bui\b/);
    const yaml = effectiveConfigYaml(parse(withVersion('')));
    expect(yaml).to.match(/^ui:\n {2}enabled: true\b.*\n {2}sessionttl: 8h\b/m);
  });

  describe('as `serve` applies it', function () {
    async function rootAndUi(yaml: string): Promise<{ root: Record<string, unknown>; ui: number }> {
      const running = await startRegistry(parse(withVersion(`http:\n  addr: 127.0.0.1:0\n${yaml}`)), createLogger({ level: 'silent' }));
      try {
        const root = (await (await fetch(`${running.url}/`)).json()) as Record<string, unknown>;
        const ui = await fetch(`${running.url}/ui/`, { redirect: 'manual' });
        await ui.body?.cancel();
        return { root, ui: ui.status };
      } finally {
        await running.close();
      }
    }

    it('serves the UI by default and names it at /', async function () {
      const { root, ui } = await rootAndUi('');
      expect(ui).to.equal(200);
      expect(root['ui']).to.equal('/ui/');
    });

    it('serves no UI with ui.enabled: false, and / does not name one', async function () {
      const { root, ui } = await rootAndUi('ui:\n  enabled: false\n');
      expect(ui).to.equal(404);
      expect(root).to.not.have.property('ui');
      expect(root['api']).to.equal('/v2/');
    });
  });
});
