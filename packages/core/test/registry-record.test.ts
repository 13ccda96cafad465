import { expect } from 'chai';
import {
  DEFAULT_DISCOVERY_PREFIX,
  idFromKey,
  normalizePrefix,
  parseRegistryRecord,
  registryAddress,
  registryKey,
  registryUrl,
  serializeRegistryRecord,
  type RegistryRecord,
} from '../src/index.js';

const record: RegistryRecord = {
  id: '10.0.0.5:5000',
  url: 'http://10.0.0.5:5000',
  scheme: 'http',
  host: '10.0.0.5',
  port: 5000,
  hostname: 'node-1',
  machineId: 'abc',
  version: '0.1.0',
  startedAt: '2026-11-22T06:00:00.000Z',
  zone: 'eu-1a',
  labels: { tier: 'fast' },
};

describe('the discovery record and key schema', () => {
  it('round-trips a record through its JSON form', () => {
    expect(parseRegistryRecord(serializeRegistryRecord(record))).to.deep.equal(record);
  });

  it('ignores fields it does not know, so newer sidekicks stay readable', () => {
    const parsed = parseRegistryRecord(JSON.stringify({ ...record, future: { x: 1 } }));
    expect(parsed).to.deep.equal(record);
  });

  for (const [what, text, message] of [
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['a bad scheme', JSON.stringify({ ...record, scheme: 'ftp' }), /scheme "ftp"/],
    ['a port out of range', JSON.stringify({ ...record, port: 70000 }), /no valid port/],
    ['a host with a slash', JSON.stringify({ ...record, host: 'a/b' }), /invalid host/],
    ['an id with a slash', JSON.stringify({ ...record, id: 'a/b' }), /invalid id/],
    ['a missing url', JSON.stringify({ ...record, url: undefined }), /no string "url"/],
    ['a label that is not a string', JSON.stringify({ ...record, labels: { a: 1 } }), /label/],
  ] as const) {
    it(`rejects a record with ${what} (RECORD_INVALID)`, () => {
      expect(() => parseRegistryRecord(text)).to.throw(message).with.property('code', 'RECORD_INVALID');
    });
  }

  it('writes IPv6 addresses in brackets, as a Docker reference wants them', () => {
    expect(registryAddress({ host: 'fd00::5', port: 5000 })).to.equal('[fd00::5]:5000');
    expect(registryAddress({ host: 'reg.example', port: 443 })).to.equal('reg.example:443');
    expect(registryUrl('https', 'fd00::5', 5000)).to.equal('https://[fd00::5]:5000');
  });

  it('builds keys under a prefix with exactly one slash, and reads the id back', () => {
    expect(normalizePrefix('/services/docker-registry')).to.equal(DEFAULT_DISCOVERY_PREFIX);
    expect(registryKey('/services/docker-registry', '10.0.0.5:5000')).to.equal('/services/docker-registry/10.0.0.5:5000');
    expect(idFromKey(DEFAULT_DISCOVERY_PREFIX, '/services/docker-registry/[::1]:5000')).to.equal('[::1]:5000');
  });

  it('does not take keys below or beside the prefix for registries', () => {
    expect(idFromKey(DEFAULT_DISCOVERY_PREFIX, '/services/docker-registry/a/b')).to.equal(undefined);
    expect(idFromKey(DEFAULT_DISCOVERY_PREFIX, '/services/docker-registry-old/a')).to.equal(undefined);
    expect(idFromKey(DEFAULT_DISCOVERY_PREFIX, '/services/docker-registry/')).to.equal(undefined);
  });

  it('refuses a relative prefix and an id with a slash', () => {
    expect(() => normalizePrefix('services/x')).to.throw(/must start with/).with.property('code', 'PREFIX_INVALID');
    expect(() => registryKey(DEFAULT_DISCOVERY_PREFIX, 'a/b')).to.throw().with.property('code', 'RECORD_INVALID');
  });
});
