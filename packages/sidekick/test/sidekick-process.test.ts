// The `registry-sidekick` CLI as fleet runs it, beside a real etcd and our real registry process: what it
// puts in etcd, how fast the key follows the registry's health, signals, and etcd going away and coming back.
import { expect } from 'chai';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { cleanupTestbed, freePort, runCommand, startEtcd, startRegistryProcess, type Etcd, type RegistryProcess } from '@private-registry/testbed';
import { SIDEKICK_VERSION } from '../src/sidekick-version.js';
import { EtcdReader, SIDEKICK_CLI, startFixedStatusServer, startSidekick, waitUntil, type SidekickProcess } from './sidekick-under-test.js';

const TTL = 2;
/** Our registry's version, read from its package.json (a file, not an import: nothing imports the registry). */
const REGISTRY_VERSION = (JSON.parse(readFileSync(new URL('../../registry/package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('the registry-sidekick process with a real etcd and registry @e2e', function () {
  this.timeout(30_000);
  after(cleanupTestbed);

  let etcd: Etcd;
  let reader: EtcdReader;
  let registry: RegistryProcess;
  let prefixCount = 0;
  const running: SidekickProcess[] = [];

  before(async () => {
    [etcd, registry] = await Promise.all([startEtcd(), startRegistryProcess()]);
    reader = new EtcdReader(etcd);
  });
  after(() => reader?.close());
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.process.stop({ signal: 'SIGKILL' })));
  });

  /** A prefix of its own per test, so one test's keys never satisfy another's wait. */
  function freshPrefix(): string {
    prefixCount += 1;
    return `/test-${prefixCount}/registries/`;
  }

  async function sidekick(registryUrl: string, advertise: string, prefix: string, extra: string[] = []): Promise<SidekickProcess> {
    const started = await startSidekick([
      '--registry-url', registryUrl, '--advertise', advertise, '--etcd', etcd.endpoint, '--prefix', prefix, '--ttl', String(TTL), ...extra,
    ]);
    running.push(started);
    return started;
  }

  it('announces the record, with the version our registry sends, under prefix + id with a lease that it keeps alive past the TTL', async () => {
    const prefix = freshPrefix();
    const started = Date.now();
    const sidekickProcess = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--zone', 'eu-1', '--label', 'tier=hot', '--label', 'team=infra']);
    const key = `${prefix}127.0.0.1:${registry.port}`;
    const first = await reader.waitForKey(key, 5_000);

    expect(first.lease).to.not.equal('0');
    const machineId = readFileSync('/etc/machine-id', 'utf8').trim();
    expect(first.record).to.deep.equal({
      id: `127.0.0.1:${registry.port}`,
      url: `http://127.0.0.1:${registry.port}`,
      scheme: 'http',
      host: '127.0.0.1',
      port: registry.port,
      hostname: hostname(),
      ...(machineId === '' ? {} : { machineId }),
      // Read from our registry's X-Registry-Version (its package.json version), not the sidekick's own.
      version: REGISTRY_VERSION,
      startedAt: first.record.startedAt,
      zone: 'eu-1',
      labels: { tier: 'hot', team: 'infra' },
    });
    expect(Date.parse(first.record.startedAt)).to.be.within(started - 1_000, Date.now());
    // The two packages share a version number today, so also check the probe really read the header: the
    // "registry answers" line carries the probe's version after the sidekick's own (pino keeps both keys).
    const probeHeader = (await fetch(`${registry.url}/v2/`)).headers.get('x-registry-version');
    expect(probeHeader, 'our registry announces its version on /v2/').to.equal(REGISTRY_VERSION);
    const answered = (await sidekickProcess.process.readLog()).split('\n').find((line) => line.includes('"msg":"registry answers"'));
    expect([...(answered ?? '').matchAll(/"version":"([^"]*)"/g)].map((m) => m[1])).to.deep.equal([SIDEKICK_VERSION, REGISTRY_VERSION]);
    const ttl = await reader.leaseTtl(first.lease);
    expect(ttl).to.be.within(0, TTL);

    await new Promise((resolve) => setTimeout(resolve, TTL * 1000 + 800));
    const later = await reader.read(key);
    expect(later?.lease, 'the same lease, still alive after more than one TTL').to.equal(first.lease);
  });

  it('takes the key away within about one probe interval when the registry dies, and announces it again when it is back', async () => {
    const prefix = freshPrefix();
    const own = await startRegistryProcess();
    // A long TTL makes the point: the key goes because the sidekick revokes, not because the lease runs out.
    const proc = await sidekick(own.url, `127.0.0.1:${own.port}`, prefix, ['--ttl', '10', '--interval', '0.25', '--probe-timeout', '0.25']);
    const key = `${prefix}127.0.0.1:${own.port}`;
    const first = await reader.waitForKey(key, 5_000);

    await own.kill();
    const goneAfter = await reader.waitForNoKey(key, 5_000);
    // Two failed probes (the default --unhealthy-after) at 250 ms apart, plus the revoke.
    expect(goneAfter).to.be.below(1_500);
    expect(await reader.leaseTtl(first.lease), 'the lease is revoked, not left to expire').to.equal(-1);

    const back = await startRegistryProcess({ port: own.port, rootDirectory: own.rootDirectory });
    const second = await reader.waitForKey(key, 3_000);
    expect(second.lease).to.not.equal(first.lease);
    // The log line follows etcd's answer, so it may land a moment after the key is visible.
    await waitUntil('the second "announced" line', async () => (await proc.countLog('announced')) === 2, 2_000);
    expect(await proc.countLog('withdrawn')).to.equal(1);
    await back.stop();
  });

  it('counts a /v2/ that answers 401 as alive, and one that answers 500 as not', async () => {
    // Our registry refuses an `auth` section for now, so a login-protected registry is played by a tiny
    // server that answers 401 (what distribution does with htpasswd auth) to every request.
    const wantsLogin = await startFixedStatusServer(401);
    const broken = await startFixedStatusServer(500);
    const prefix = freshPrefix();
    await sidekick(wantsLogin.url, `127.0.0.1:${wantsLogin.port}`, prefix);
    const failing = await sidekick(broken.url, `127.0.0.1:${broken.port}`, prefix);

    await reader.waitForKey(`${prefix}127.0.0.1:${wantsLogin.port}`, 5_000);
    const refused = await failing.waitForLog('registry not answering');
    expect(refused['detail']).to.match(/HTTP 500/);
    expect(broken.requests()).to.be.greaterThan(0);
    expect(await reader.read(`${prefix}127.0.0.1:${broken.port}`)).to.equal(undefined);
    await Promise.all([wantsLogin.close(), broken.close()]);
  });

  it('revokes the lease on SIGTERM: the key is gone at once and the exit code is 0', async () => {
    const prefix = freshPrefix();
    const proc = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'term-test']);
    const announced = await reader.waitForKey(`${prefix}term-test`, 5_000);

    const exit = await proc.process.stop({ signal: 'SIGTERM', graceMs: 5_000 });
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(await reader.read(`${prefix}term-test`)).to.equal(undefined);
    expect(await reader.leaseTtl(announced.lease)).to.equal(-1);
    expect((await proc.waitForLog('withdrawn'))['reason']).to.equal('stopping');
  });

  it('leaves the key to expire with its TTL when killed with SIGKILL (the lease really holds it)', async () => {
    const prefix = freshPrefix();
    const proc = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'kill-test']);
    await reader.waitForKey(`${prefix}kill-test`, 5_000);

    await proc.process.stop({ signal: 'SIGKILL' });
    expect(await reader.read(`${prefix}kill-test`), 'still there right after the kill').to.not.equal(undefined);
    const goneAfter = await reader.waitForNoKey(`${prefix}kill-test`, TTL * 1000 + 2_000);
    expect(goneAfter).to.be.above(200);
  });

  it('takes over the key its SIGKILLed predecessor left, and the old lease running out does not remove it', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}restart-test`;
    const before = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'restart-test']);
    const first = await reader.waitForKey(key, 5_000);
    await before.process.stop({ signal: 'SIGKILL' });

    await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'restart-test']);
    const second = await reader.waitForKey(key, 5_000, (found) => found.lease !== first.lease);
    await new Promise((resolve) => setTimeout(resolve, TTL * 1000 + 500));
    expect(await reader.leaseTtl(first.lease), 'the old lease has run out').to.equal(-1);
    expect((await reader.read(key))?.lease).to.equal(second.lease);
  });

  it('puts the key back within a keepalive round when someone deletes it or overwrites it without a lease', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}del-test`;
    const proc = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'del-test']);
    const first = await reader.waitForKey(key, 5_000);

    expect((await etcd.etcdctl(['del', key])).stdout.trim()).to.equal('1');
    const restored = await reader.waitForKey(key, 1_500);
    expect(restored.lease).to.equal(first.lease);
    expect(restored.value).to.equal(first.value);

    await etcd.etcdctl(['put', key, 'not a record']);
    // Until the sidekick repairs it, the key holds text that is not a record, which read() does not accept.
    await reader.waitForKey(key, 1_500, (found) => found.lease === first.lease && found.value === first.value);
    const restoredFrom = async (): Promise<unknown[]> => (await proc.logEntries()).filter((e) => e.msg === 'key restored').map((e) => e['found']);
    await waitUntil('two "key restored" lines', async () => (await restoredFrom()).length >= 2, 2_000);
    expect(await restoredFrom()).to.deep.equal(['missing', 'without a lease']);
  });

  it('grants a new lease and puts the key again when someone revokes its lease', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}revoke-test`;
    const proc = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'revoke-test']);
    const first = await reader.waitForKey(key, 5_000);

    await etcd.etcdctl(['lease', 'revoke', BigInt(first.lease).toString(16)]);
    const second = await reader.waitForKey(key, 1_500, (found) => found.lease !== first.lease);
    expect(second.record.startedAt, 'the same announcement goes on').to.equal(first.record.startedAt);
    expect(await proc.countLog('lease lost')).to.equal(1);
  });

  it('rides out etcd being away for longer than the TTL, announcing again when it is back, and logs the outage once', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}outage-test`;
    const proc = await sidekick(registry.url, `127.0.0.1:${registry.port}`, prefix, ['--id', 'outage-test']);
    await reader.waitForKey(key, 5_000);

    await etcd.stop();
    await proc.waitForLog('etcd unreachable');
    await new Promise((resolve) => setTimeout(resolve, TTL * 1000 + 1_500));
    await etcd.start();

    await reader.waitForKey(key, 5_000);
    await proc.waitForLog('etcd reachable again');
    expect(proc.process.isRunning()).to.equal(true);
    expect(await proc.countLog('etcd unreachable')).to.equal(1);
    expect(await proc.countLog('etcd reachable again')).to.equal(1);
  });

  describe('refusing bad flags', () => {
    const cases: [string, string[], RegExp][] = [
      ['an --advertise without a port', ['--advertise', 'registry.example'], /--advertise "registry.example" is not HOST:PORT/],
      ['a --ttl that is not a number', ['--advertise', '10.0.0.5:5000', '--ttl', 'ten'], /--ttl "ten"/],
      ['a --registry-url with a path', ['--advertise', '10.0.0.5:5000', '--registry-url', 'http://127.0.0.1:5000/v2/'], /--registry-url .* without a path/],
      ['an unknown --scheme', ['--advertise', '10.0.0.5:5000', '--scheme', 'ftp'], /--scheme/],
      ['an unknown flag', ['--advertise', '10.0.0.5:5000', '--frobnicate'], /--frobnicate/],
    ];
    for (const [title, args, message] of cases) {
      it(`exits 2 with one line naming the flag on ${title}`, async () => {
        const port = await freePort();
        const result = await runCommand(process.execPath, [SIDEKICK_CLI, 'run', '--registry-url', `http://127.0.0.1:${port}`, ...args], {
          env: { REGISTRY_URL: undefined, SIDEKICK_ADVERTISE: undefined, SIDEKICK_TTL: undefined, SIDEKICK_SCHEME: undefined },
          timeoutMs: 10_000,
        });
        expect(result.exitCode, result.stderr).to.equal(2);
        expect(result.stderr.trim().split('\n')).to.have.length(1);
        expect(result.stderr).to.match(message);
      });
    }
  });
});
