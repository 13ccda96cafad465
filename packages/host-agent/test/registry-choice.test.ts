import { expect } from 'chai';
import type { RegistryRecord } from '@private-registry/core';
import { chooseRegistry, isOnHost } from '../src/registry-choice.js';
import type { HostIdentity } from '../src/host-identity.js';

function record(id: string, host: string, extra: Partial<RegistryRecord> = {}): RegistryRecord {
  return { id, url: `http://${host}:5000`, scheme: 'http', host, port: 5000, hostname: `h-${host}`, version: '1', startedAt: '2026-11-22T00:00:00Z', ...extra };
}

function host(key: string, addresses: string[] = [], extra: Partial<HostIdentity> = {}): HostIdentity {
  return { hostname: key, addresses, key, ...extra };
}

const policy = { preferLocal: true };

describe('which registry a host chooses', () => {
  it('chooses none when none is announced', () => {
    expect(chooseRegistry([], host('a'), policy)).to.equal(null);
  });

  it('prefers a registry on this host, matched by exact address', () => {
    const records = [record('r1', '10.0.0.1'), record('r10', '10.0.0.10')];
    const choice = chooseRegistry(records, host('n10', ['10.0.0.10']), policy);
    expect(choice?.record.id).to.equal('r10');
    expect(choice?.reason).to.equal('local');
    // The old bash loop matched 10.0.0.1 inside 10.0.0.10: an exact comparison never does.
    expect(isOnHost(record('r1', '10.0.0.1'), host('n10', ['10.0.0.10']))).to.equal(false);
  });

  it('matches by machine id when both sides have one, whatever the addresses say', () => {
    const r = record('r', '10.0.0.7', { machineId: 'm-1' });
    expect(isOnHost(r, host('x', ['10.0.0.7'], { machineId: 'm-2' }))).to.equal(false);
    expect(isOnHost(r, host('x', [], { machineId: 'm-1' }))).to.equal(true);
  });

  it('does not take a loopback address for "this host" unless the host name matches too', () => {
    expect(isOnHost(record('r', '127.0.0.1'), host('other', ['127.0.0.1']))).to.equal(false);
    expect(isOnHost(record('r', '127.0.0.1', { hostname: 'me' }), host('me', ['127.0.0.1']))).to.equal(true);
  });

  it('gives the same answer whatever order the records come in', () => {
    const records = ['a', 'b', 'c', 'd'].map((id, i) => record(id, `10.0.1.${i}`));
    for (const key of ['h1', 'h2', 'h3', 'h4', 'h5']) {
      const forward = chooseRegistry(records, host(key), policy)?.record.id;
      const backward = chooseRegistry([...records].reverse(), host(key), policy)?.record.id;
      expect(forward).to.equal(backward);
    }
  });

  it('spreads hosts over the registries and moves only the hosts whose registry went away', () => {
    const records = ['a', 'b', 'c'].map((id, i) => record(id, `10.0.1.${i}`));
    const hosts = Array.from({ length: 300 }, (_, i) => host(`host-${i}`));
    const before = hosts.map((h) => chooseRegistry(records, h, policy)?.record.id);
    const counts = new Map<string, number>();
    for (const id of before) counts.set(id ?? '', (counts.get(id ?? '') ?? 0) + 1);
    for (const id of ['a', 'b', 'c']) expect(counts.get(id)).to.be.within(60, 140);
    const after = hosts.map((h) => chooseRegistry(records.filter((r) => r.id !== 'b'), h, policy)?.record.id);
    hosts.forEach((_, i) => {
      if (before[i] !== 'b') expect(after[i]).to.equal(before[i]);
      else expect(after[i]).to.be.oneOf(['a', 'c']);
    });
  });

  it('prefers registries in its zone or with the wanted labels before hashing', () => {
    const records = [record('a', '10.0.1.1', { zone: 'z1' }), record('b', '10.0.1.2', { zone: 'z2', labels: { disk: 'ssd' } })];
    expect(chooseRegistry(records, host('h', [], { zone: 'z2' }), policy)).to.deep.include({ reason: 'preferred' });
    expect(chooseRegistry(records, host('h', [], { zone: 'z2' }), policy)?.record.id).to.equal('b');
    expect(chooseRegistry(records, host('h'), { preferLocal: true, labels: { disk: 'ssd' } })?.record.id).to.equal('b');
    // Nothing matches the preference: fall back to the stable hash over all of them.
    expect(chooseRegistry(records, host('h', [], { zone: 'z9' }), policy)?.reason).to.equal('hashed');
  });

  it('ignores "this host" when told not to prefer local registries', () => {
    const records = ['a', 'b', 'c'].map((id, i) => record(id, `10.0.1.${i}`));
    const hashed = hostsChoosing(records, { preferLocal: false }, (key) => host(key, ['10.0.1.0']));
    expect(new Set(hashed).size).to.be.greaterThan(1);
  });
});

function hostsChoosing(records: RegistryRecord[], p: { preferLocal: boolean }, make: (key: string) => HostIdentity): string[] {
  return Array.from({ length: 30 }, (_, i) => chooseRegistry(records, make(`k${i}`), p)?.record.id ?? '');
}
