// Which lock keeps sweeps (and fsck repairs) one at a time: an etcd lease when storage.gc.etcd is set (the etcd
// client is imported only then), else the lock object in the store.
import type { GcConfig } from '../config/registry-config.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { GcLock, type SweepLock } from './gc-lock.js';

export async function sweepLockFor(driver: StorageDriver, config: Pick<GcConfig, 'lockExpiryMs'> & { etcd?: GcConfig['etcd'] }, now: () => number = Date.now): Promise<SweepLock> {
  if (config.etcd === undefined) return new GcLock(driver, { expiryMs: config.lockExpiryMs, now });
  const { EtcdGcLock } = await import('./etcd-gc-lock.js');
  return new EtcdGcLock(config.etcd, config.lockExpiryMs);
}
