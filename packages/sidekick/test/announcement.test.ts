// The record the sidekick puts in etcd: which option or fact fills which field, and that the host
// agent's parser reads it back unchanged.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRegistryRecord, serializeRegistryRecord } from '@private-registry/core';
import { cleanupTestbed, tempDir } from '@private-registry/testbed';
import { buildRegistryRecord, readMachineFacts } from '../src/announcement.js';

const STARTED = new Date('2025-03-01T12:00:00.000Z');

describe('the announced record', () => {
  after(cleanupTestbed);

  it('carries the advertised address, the scheme, the machine, the version and when the announcement began', () => {
    const record = buildRegistryRecord(
      { id: 'reg-a', advertise: { host: '10.0.0.5', port: 5000 }, scheme: 'https', zone: 'eu-1', labels: { tier: 'hot' } },
      { hostname: 'node-7', machineId: 'abc123' },
      '0.4.0',
      STARTED,
    );
    expect(record).to.deep.equal({
      id: 'reg-a',
      url: 'https://10.0.0.5:5000',
      scheme: 'https',
      host: '10.0.0.5',
      port: 5000,
      hostname: 'node-7',
      machineId: 'abc123',
      version: '0.4.0',
      startedAt: '2025-03-01T12:00:00.000Z',
      zone: 'eu-1',
      labels: { tier: 'hot' },
    });
  });

  it('writes an IPv6 host without brackets and puts them in the url', () => {
    const record = buildRegistryRecord({ id: '[fd00::5]:5000', advertise: { host: 'fd00::5', port: 5000 }, scheme: 'http', labels: {} }, { hostname: 'h' }, '1', STARTED);
    expect(record.host).to.equal('fd00::5');
    expect(record.url).to.equal('http://[fd00::5]:5000');
  });

  it('leaves machineId, zone and labels out when there are none', () => {
    const record = buildRegistryRecord({ id: 'a:1', advertise: { host: 'a', port: 1 }, scheme: 'http', labels: {} }, { hostname: 'h' }, '1', STARTED);
    expect(record).to.not.have.any.keys('machineId', 'zone', 'labels');
  });

  it('reads back unchanged through the discovery record parser', () => {
    const record = buildRegistryRecord(
      { id: 'reg-b', advertise: { host: 'registry.example.com', port: 443 }, scheme: 'https', zone: 'z', labels: { a: '1', b: '' } },
      { hostname: 'h', machineId: 'm' },
      '1.2.3',
      STARTED,
    );
    expect(parseRegistryRecord(serializeRegistryRecord(record))).to.deep.equal(record);
  });

  it('takes the machine id from its file, and goes without one when the file is missing', async () => {
    const dir = (await tempDir('sidekick-machine-id')).path;
    await writeFile(join(dir, 'machine-id'), '3d1219c7c4c5404aaa1f6d2a48adfda4\n');
    expect(readMachineFacts(join(dir, 'machine-id')).machineId).to.equal('3d1219c7c4c5404aaa1f6d2a48adfda4');
    const without = readMachineFacts(join(dir, 'absent'));
    expect(without.machineId).to.equal(undefined);
    expect(without.hostname).to.be.a('string').and.not.equal('');
  });
});
