// An etcd3 client for an etcd section of the configuration (storage.gc.etcd, proxy.etcd). Imported only when
// such a section is configured, so a registry without one never loads etcd3 and gRPC.
import { createEtcdClient } from '@private-registry/core/etcd';
import type { EtcdConnection } from '../config/registry-config.js';

export type EtcdClient = ReturnType<typeof createEtcdClient>;

const DIAL_TIMEOUT_MS = 3000;

export function connectEtcd(config: EtcdConnection): EtcdClient {
  return createEtcdClient({
    endpoints: config.endpoints,
    dialTimeoutMs: DIAL_TIMEOUT_MS,
    ...(config.caFile === undefined ? {} : { caFile: config.caFile }),
    ...(config.certFile === undefined ? {} : { certFile: config.certFile }),
    ...(config.keyFile === undefined ? {} : { keyFile: config.keyFile }),
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(config.password === undefined ? {} : { password: config.password }),
  });
}
