import { expect } from 'chai';
import { createLogger } from '@private-registry/core';
import { MemoryDriver } from '../src/storage/memory-driver.js';
import { StorageUnavailableError } from '../src/storage/storage-errors.js';
import { startDebugServer } from '../src/debug-server.js';
import { StorageReadiness } from '../src/storage/storage-readiness.js';

describe('the debug server (http.debug.addr)', () => {
  const log = createLogger({ level: 'silent' });

  it('reports healthy while storage answers, with process figures at /debug/vars', async () => {
    const server = await startDebugServer({ host: '127.0.0.1', port: 0 }, new StorageReadiness(new MemoryDriver(), log), log);
    try {
      const health = await fetch(`${server.url}/debug/health`);
      expect(health.status).to.equal(200);
      expect(await health.json()).to.deep.equal({ status: 'ok', storage: 'inmemory' });
      const vars = (await (await fetch(`${server.url}/debug/vars`)).json()) as { memory: { rss: number }; pid: number };
      expect(vars.pid).to.equal(process.pid);
      expect(vars.memory.rss).to.be.greaterThan(0);
    } finally {
      await server.close();
    }
  });

  it('answers 503 when the storage backend fails', async () => {
    const driver = new MemoryDriver();
    driver.list = async (path: string) => {
      throw new StorageUnavailableError('inmemory', path, 'EIO on /docker');
    };
    const server = await startDebugServer({ host: '127.0.0.1', port: 0 }, new StorageReadiness(driver, log), log);
    try {
      const health = await fetch(`${server.url}/debug/health`);
      expect(health.status).to.equal(503);
      expect(await health.json()).to.include({ status: 'unavailable', error: 'STORAGE_UNAVAILABLE' });
    } finally {
      await server.close();
    }
  });
});
