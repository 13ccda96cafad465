// `notifications` as distribution writes it, plus our queuedirectory: defaults, disabled endpoints,
// where the queues go, and header values that never show.
import { expect } from 'chai';
import { redactConfig, REDACTED } from '../../src/config/config-secrets.js';
import { effectiveConfigYaml } from '../../src/config/effective-config.js';
import { expectInvalid, parse, withVersion } from '../config/config-test-helpers.js';

const TOKEN = 'Bearer tok-9f8e7d6c5b4a';

const ENDPOINTS = `notifications:
  events:
    includereferences: true
  endpoints:
    - name: alistener
      url: https://hooks.example.com/event
      headers:
        Authorization: [${TOKEN}]
      timeout: 500ms
      threshold: 5
      backoff: 2s
      ignoredmediatypes: [application/octet-stream]
      ignore:
        mediatypes: [application/vnd.oci.image.index.v1+json]
        actions: [pull]
    - name: off
      disabled: true
      url: https://off.example.com/
    - name: plain
      url: http://10.0.0.5:8080/hook
`;

describe('notifications: configuration', function () {
  it("reads distribution's endpoint keys, drops disabled endpoints, and fills distribution's defaults", () => {
    const { config, warnings, unknownKeys } = parse(withVersion(`storage:\n  filesystem:\n    rootdirectory: /data\n${ENDPOINTS}`));
    expect(warnings).to.deep.equal([]);
    expect(unknownKeys).to.deep.equal([]);
    expect(config.ignoredKeys).to.deep.equal([]);
    expect(config.notifications).to.deep.equal({
      includeReferences: true,
      queueDirectory: '/data/notifications',
      endpoints: [
        {
          name: 'alistener',
          url: 'https://hooks.example.com/event',
          headers: { Authorization: [TOKEN] },
          timeoutMs: 500,
          threshold: 5,
          backoffMs: 2_000,
          ignoredMediaTypes: ['application/octet-stream', 'application/vnd.oci.image.index.v1+json'],
          ignoredActions: ['pull'],
        },
        { name: 'plain', url: 'http://10.0.0.5:8080/hook', headers: {}, timeoutMs: 1_000, threshold: 10, backoffMs: 1_000, ignoredMediaTypes: [], ignoredActions: [] },
      ],
    });
  });

  it('takes queuedirectory relative to the working directory, and warns where queues go without a filesystem root', () => {
    expect(parse(withVersion(`${ENDPOINTS}  queuedirectory: state/q\n`)).config.notifications.queueDirectory).to.equal('/srv/work/state/q');
    const { config, warnings } = parse(withVersion(ENDPOINTS));
    expect(config.notifications.queueDirectory).to.equal('/var/lib/registry/notifications');
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('notifications.queuedirectory is not set: with storage driver inmemory').and.include('/var/lib/registry/notifications');
  });

  it('has no endpoints and no queue without the section', () => {
    expect(parse(withVersion('')).config.notifications).to.deep.equal({ endpoints: [], queueDirectory: undefined, includeReferences: false });
  });

  it('takes endpoints from REGISTRY_NOTIFICATIONS_ENDPOINTS as YAML', () => {
    const { config } = parse(withVersion(''), { REGISTRY_NOTIFICATIONS_ENDPOINTS: '[{name: env, url: "http://127.0.0.1:9/x", threshold: 3}]', REGISTRY_NOTIFICATIONS_QUEUEDIRECTORY: '/q' });
    expect(config.notifications.endpoints.map((e) => [e.name, e.threshold])).to.deep.equal([['env', 3]]);
    expect(config.notifications.queueDirectory).to.equal('/q');
  });

  it('stops on an endpoint without a name or url, a non-HTTP url, a name used twice, a duration without unit', () => {
    expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - url: http://h/\n')), 'notifications.endpoints[0].name', 'is required');
    expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - name: a\n')), 'notifications.endpoints[0].url', 'is required');
    expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - name: a\n      url: ftp://h/\n')), 'notifications.endpoints[0].url', 'http:// or https://');
    expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - {name: a, url: "http://h/"}\n    - {name: A, url: "http://i/"}\n')), 'notifications.endpoints[1].name', 'names two endpoints');
    expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - {name: a, url: "http://h/", timeout: 500}\n')), 'notifications.endpoints[0].timeout', 'give a unit');
  });

  it('warns about an ignore action that is not an event action', () => {
    const { warnings } = parse(withVersion(`storage:\n  filesystem:\n    rootdirectory: /d\nnotifications:\n  endpoints:\n    - {name: a, url: "http://h/", ignore: {actions: [pul]}}\n`));
    expect(warnings).to.deep.equal(['notifications.endpoints[0].ignore.actions: "pul" is not an event action (push, pull, delete, mount): it ignores nothing']);
  });

  it('never shows a header value: not in redactConfig, config check output, nor an error about it', () => {
    const loaded = parse(withVersion(`storage:\n  filesystem:\n    rootdirectory: /data\n${ENDPOINTS}    - name: secret-url\n      url: https://user:pw-1234@hooks.example.com/\n      headers:\n        X-Api-Key: [key-5566]\n`));
    const redacted = redactConfig(loaded.config);
    const printed = JSON.stringify(redacted);
    for (const secret of [TOKEN, 'key-5566', 'pw-1234']) expect(printed).not.to.include(secret);
    expect(redacted.notifications.endpoints[0]?.headers).to.deep.equal({ Authorization: [REDACTED] });
    const text = effectiveConfigYaml(loaded);
    for (const secret of [TOKEN, 'key-5566']) expect(text).not.to.include(secret);
    const err = expectInvalid(() => parse(withVersion('notifications:\n  endpoints:\n    - name: a\n      url: http://h/\n      headers:\n        X-Api-Key: {nested: key-7788}\n')), 'notifications.endpoints[0].headers.X-Api-Key');
    expect(err.message).not.to.include('key-7788');
  });
});
