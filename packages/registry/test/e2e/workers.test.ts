// http.workers: several processes serving one port. Each request below goes on a connection of its own, and
// node:cluster hands new connections to the workers in turn, so consecutive requests reach different workers;
// the access log's `worker` field shows which one served each. What must hold whichever worker a request reaches:
// a chunked upload continues; the mirror downloads a blob from its upstream once; a shutdown drains every
// worker; a worker that dies is replaced while the others serve. The mirror's upstream is the reference
// registry (distribution 2.8.2) behind a proxy that slows it.
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import {
  cleanupTestbed,
  freePort,
  startHttpFaultProxy,
  startReferenceRegistry,
  startRegistryProcess,
  type RegistryProcess,
} from '@private-registry/testbed';
import { pushImage } from './mirror-images.js';
import { mallocTunables } from '../../src/malloc-tuning.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on a connection of its own. `body` may be a function that writes it (slowly) and ends it. */
function send(url: string, method: string, headers: Record<string, string | number> = {}, body?: Buffer | ((write: (chunk: Buffer) => void, end: () => void) => void)): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { Connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (typeof body === 'function') body((chunk) => req.write(chunk), () => req.end());
    else req.end(body);
  });
}

interface LogLine {
  msg?: string;
  method?: string;
  route?: string;
  url?: string;
  status?: number;
  worker?: number;
}

/** The log's complete lines (a worker may be writing the last one as it is read). */
async function logLines(registry: RegistryProcess): Promise<LogLine[]> {
  return (await registry.process.readLog())
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Which workers served the requests of this method whose path contains `part`. */
async function servedBy(registry: RegistryProcess, method: string, part: string): Promise<Set<number | undefined>> {
  return new Set((await logLines(registry)).filter((l) => l.msg === 'request' && l.method === method && l.url?.includes(part)).map((l) => l.worker));
}

/** Ours with two workers, once both serve (startRegistryProcess returns when the first answers). */
async function startWorkers(config: Record<string, unknown> = {}): Promise<RegistryProcess> {
  const http = (config['http'] ?? {}) as Record<string, unknown>;
  const registry = await startRegistryProcess({ config: { ...config, http: { ...http, workers: 2 } } });
  await registry.process.waitForLog('2 workers serving');
  return registry;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

describe('http.workers: two processes serving one port @e2e', function () {
  this.timeout(90_000);
  after(cleanupTestbed);

  it('continues a chunked upload whose PATCHes reach different workers, and stores the right blob', async () => {
    const registry = await startWorkers();
    const chunks = Array.from({ length: 6 }, (_, i) => randomBytes(100_000 + i * 1000));
    const whole = Buffer.concat(chunks);
    const started = await send(`${registry.url}/v2/team/chunked/blobs/uploads/`, 'POST');
    expect(started.status).to.equal(202);
    let location = new URL(String(started.headers.location), registry.url).toString();
    let offset = 0;
    for (const chunk of chunks) {
      const patched = await send(location, 'PATCH', { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + chunk.length - 1}`, 'Content-Length': chunk.length }, chunk);
      expect(patched.status, patched.body.toString()).to.equal(202);
      offset += chunk.length;
      expect(patched.headers.range).to.equal(`0-${offset - 1}`);
      location = new URL(String(patched.headers.location), registry.url).toString();
    }
    const digest = sha256(whole);
    const put = await send(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, 'PUT', { 'Content-Length': 0 });
    expect(put.status, put.body.toString()).to.equal(201);
    const pulled = await send(`${registry.url}/v2/team/chunked/blobs/${digest}`, 'GET');
    expect(pulled.status).to.equal(200);
    expect(sha256(pulled.body)).to.equal(digest);
    expect([...(await servedBy(registry, 'PATCH', '/v2/team/chunked/blobs/uploads/'))].sort()).to.deep.equal([0, 1]);
    await registry.stop();
  });

  it('downloads a blob from the upstream once when cold GETs for it reach both workers at the same time', async () => {
    const upstream = await startReferenceRegistry();
    const proxy = await startHttpFaultProxy(upstream.url);
    const debugPort = await freePort();
    const mirror = await startWorkers({ http: { debug: { addr: `127.0.0.1:${debugPort}` } }, proxy: { remoteurl: proxy.url, prefetch: 0 } });
    const image = await pushImage(upstream.url, 'team/shared', 'v1', [4 << 20]);
    const layer = image.blobs[1]!;
    // Slow enough that every GET arrives while the download runs.
    proxy.setMode({ kind: 'throttle', bytesPerSecond: 4 << 20 });
    const before = (await upstream.accessLog()).length;
    const gets = await Promise.all(Array.from({ length: 6 }, () => send(`${mirror.url}/v2/team/shared/blobs/${layer.digest}`, 'GET')));
    proxy.setMode({ kind: 'pass' });
    for (const got of gets) {
      expect(got.status).to.equal(200);
      expect(sha256(got.body)).to.equal(layer.digest);
    }
    const upstreamGets = (await upstream.accessLog()).slice(before).filter((e) => e.method === 'GET' && e.path === `/v2/team/shared/blobs/${layer.digest}`);
    expect(upstreamGets, 'one upstream download for six clients on two workers').to.have.length(1);
    expect([...(await servedBy(mirror, 'GET', layer.digest))].sort()).to.deep.equal([0, 1]);
    const vars = (await (await fetch(`http://127.0.0.1:${debugPort}/debug/vars`)).json()) as { mirror: Record<string, number>; workers: unknown[] };
    expect(vars.workers).to.have.length(2);
    expect(vars.mirror.misses).to.equal(1);
    expect(vars.mirror.coalesced).to.equal(5);
    // Stored once, served from storage by either worker afterwards.
    const again = await Promise.all([1, 2].map(() => send(`${mirror.url}/v2/team/shared/blobs/${layer.digest}`, 'GET')));
    for (const got of again) expect(sha256(got.body)).to.equal(layer.digest);
    expect((await upstream.accessLog()).slice(before).filter((e) => e.method === 'GET' && e.path === `/v2/team/shared/blobs/${layer.digest}`)).to.have.length(1);
    await mirror.stop();
  });

  it('drains every worker on SIGTERM: uploads in flight on both finish, then the process exits 0', async () => {
    const registry = await startWorkers();
    const bodies = [randomBytes(200_000), randomBytes(200_000)];
    const locations: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const started = await send(`${registry.url}/v2/team/drain/blobs/uploads/`, 'POST');
      locations.push(new URL(String(started.headers.location), registry.url).toString());
    }
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Half of each body now, the rest once the registry has been told to stop.
    const patches = bodies.map((body, i) =>
      send(locations[i]!, 'PATCH', { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length }, (write, end) => {
        write(body.subarray(0, 100_000));
        void released.then(() => {
          write(body.subarray(100_000));
          end();
        });
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exit = registry.process.stop({ graceMs: 30_000 });
    await registry.process.waitForLog('every worker finishes its requests in flight');
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    const answers = await Promise.all(patches);
    expect(answers.map((a) => a.status)).to.deep.equal([202, 202]);
    expect(answers.map((a) => a.headers.range)).to.deep.equal(['0-199999', '0-199999']);
    expect(await exit).to.deep.equal({ code: 0, signal: null });
    expect([...(await servedBy(registry, 'PATCH', '/v2/team/drain/blobs/uploads/'))].sort()).to.deep.equal([0, 1]);
  });

  it('replaces a worker that dies while the other serves, and the new one serves too', async () => {
    const debugPort = await freePort();
    const registry = await startWorkers({ http: { debug: { addr: `127.0.0.1:${debugPort}` } } });
    const workers = async (): Promise<Array<{ index: number; pid: number }>> => ((await (await fetch(`http://127.0.0.1:${debugPort}/debug/vars`)).json()) as { workers: Array<{ index: number; pid: number }> }).workers;
    const before = await workers();
    expect(before.map((w) => w.index)).to.deep.equal([0, 1]);
    // Every worker runs with glibc's malloc tuned (malloc-tuning.ts), the replacement too.
    const tunables = async (pid: number): Promise<string | undefined> =>
      (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').find((v) => v.startsWith('GLIBC_TUNABLES='));
    const expectedTunables = `GLIBC_TUNABLES=${mallocTunables(process.env['GLIBC_TUNABLES'])}`;
    for (const { pid } of before) expect(await tunables(pid)).to.equal(expectedTunables);
    const victim = before.find((w) => w.index === 1)!;
    process.kill(victim.pid, 'SIGKILL');
    // Once the primary knows (a connection handed to a worker at the instant it dies is lost with it, as with any
    // crash), worker 0 answers every request while the replacement starts.
    await registry.process.waitForLog('worker exited: starting another', { timeoutMs: 5_000 });
    for (let i = 0; i < 4; i += 1) expect((await send(`${registry.url}/v2/`, 'GET')).status).to.equal(200);
    await registry.process.waitForLog('worker serving again', { timeoutMs: 15_000 });
    const after = await workers();
    expect(after.map((w) => w.index)).to.deep.equal([0, 1]);
    expect(after.find((w) => w.index === 1)!.pid).to.not.equal(victim.pid);
    expect(await tunables(after.find((w) => w.index === 1)!.pid)).to.equal(expectedTunables);
    const lines = await logLines(registry);
    expect(lines.some((l) => l.msg === 'worker exited: starting another')).to.equal(true);
    for (let i = 0; i < 4; i += 1) expect((await send(`${registry.url}/v2/`, 'GET')).status).to.equal(200);
    // The access log line of the last answer may still be on its way to the file.
    const deadline = Date.now() + 5_000;
    let served = await servedBy(registry, 'GET', '/v2/');
    while (served.size < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      served = await servedBy(registry, 'GET', '/v2/');
    }
    expect([...served].sort()).to.deep.equal([0, 1]);
    await registry.stop();
  });
});
