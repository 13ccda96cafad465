// Reads an etcd connection section (`storage.gc.etcd`, `proxy.etcd`): endpoints, TLS files and credentials,
// with the same rules and messages wherever it appears.
import type { ConfigSection } from './config-section.js';
import type { EtcdConnection } from './registry-config.js';

export function readEtcdConnection(etcd: ConfigSection, where: string): EtcdConnection {
  const endpoints = (etcd.stringList('endpoints') ?? []).flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) etcd.fail('endpoints', `is required when ${where} is present (e.g. ["http://10.0.0.1:2379"])`);
  for (const endpoint of endpoints) if (!/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) etcd.fail('endpoints', `${JSON.stringify(endpoint)} is not an etcd endpoint (http(s)://host:port)`);
  const config: EtcdConnection = { endpoints };
  const optional = { cafile: 'caFile', certfile: 'certFile', keyfile: 'keyFile', username: 'username', password: 'password' } as const;
  for (const [name, field] of Object.entries(optional)) {
    const value = etcd.string(name);
    if (value !== undefined && value !== '') config[field] = value;
  }
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) etcd.fail('certfile', 'certfile and keyfile go together: give both or neither');
  if (config.username !== undefined && config.password === undefined) etcd.fail('password', 'is required with username');
  return config;
}
