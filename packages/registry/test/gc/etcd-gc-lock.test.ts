// The sweep lock in a real etcd: one holder at a time, released on release, and taken over once the lease of
// a holder that died (its client gone without releasing) has expired.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cleanupTestbed, startEtcd, type Etcd } from '@private-registry/testbed';
import { EtcdGcLock } from '../../src/gc/etcd-gc-lock.js';
import { GcLockBusyError, GcLockLostError } from '../../src/gc/gc-lock.js';

describe('gc lock in etcd @e2e', function () {
  this.timeout(30_000);
  let etcd: Etcd;
  before(async () => {
    etcd = await startEtcd();
  });
  after(cleanupTestbed);

  const config = () => ({ endpoints: [etcd.endpoint], key: `/test/gc-lock/${Math.random().toString(36).slice(2)}` });

  it('admits one holder; the next one gets the lock once it is released', async () => {
    const shared = config();
    const first = new EtcdGcLock(shared, 5000);
    const second = new EtcdGcLock(shared, 5000);
    await first.acquire();
    await first.check();
    let refused: unknown;
    await second.acquire().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(GcLockBusyError);
    expect((refused as Error).message).to.match(/another garbage collection holds the lock \(.+ pid \d+/);
    await first.release();
    await second.acquire();
    await second.check();
    await second.release();
  });

  it("a dead holder's lock lapses with its lease", async () => {
    const shared = config();
    // A sweeper process that takes the lock and is then killed: nobody keeps its lease alive any more.
    const lockModule = new URL('../../dist/src/gc/etcd-gc-lock.js', import.meta.url).href;
    const script = `const { EtcdGcLock } = await import(${JSON.stringify(lockModule)}); await new EtcdGcLock(${JSON.stringify(shared)}, 2000).acquire(); console.log('held'); setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('held') && resolve());
      holder.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
    });
    const next = new EtcdGcLock(shared, 2000);
    let refused: unknown;
    await next.acquire().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(GcLockBusyError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    await next.acquire();
    await next.release();
  });

  it('check() fails once the key was taken away', async () => {
    const shared = config();
    const lock = new EtcdGcLock(shared, 5000);
    await lock.acquire();
    const { createEtcdClient } = await import('@private-registry/core/etcd');
    const client = createEtcdClient({ endpoints: [etcd.endpoint], dialTimeoutMs: 3000 });
    await client.delete().key(shared.key);
    client.close();
    let lost: unknown;
    await lock.check().catch((err: unknown) => (lost = err));
    expect(lost).to.be.instanceOf(GcLockLostError);
    await lock.release();
  });
});
