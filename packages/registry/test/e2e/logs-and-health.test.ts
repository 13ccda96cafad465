// What an operator and a load balancer see of a running registry: log lines with level names in the
// three formats, log.fields on every line, the startup line, HEAD logged with 0 bytes, the open-registry
// warning, and GET /, /healthz and /readyz on the main listener.
import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupTestbed, freePort, tempDir, waitForHttp } from '@private-registry/testbed';
import { randomBlob } from '../api/oci-content.js';
import { spawnCli, startOurRegistry, type OurRegistry } from './interop-helpers.js';

type LogRecord = Record<string, unknown>;

async function jsonLines(registry: OurRegistry): Promise<LogRecord[]> {
  const lines = (await registry.process.readLog()).split('\n').filter((line) => line !== '');
  return lines.map((line) => JSON.parse(line) as LogRecord);
}

/** The first record with this message, waiting briefly for it (the access log is written on finish). */
async function recordWith(registry: OurRegistry, match: (record: LogRecord) => boolean): Promise<LogRecord> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const found = (await jsonLines(registry)).find(match);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no such log line in:\n${await registry.process.readLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('logs and health endpoints of the private-registry process @e2e', function () {
  this.timeout(60_000);
  after(cleanupTestbed);

  it('writes JSON lines with level names and log.fields on every line, a startup line naming address and root, and HEAD with 0 bytes', async () => {
    const registry = await startOurRegistry({ config: { log: { fields: { environment: 'staging', zone: 'eu-1' } } } });
    const blob = randomBlob(5000);
    expect((await registry.client.postBlob('ops/logs', blob)).status).to.equal(201);
    const head = await fetch(`${registry.url}/v2/ops/logs/blobs/${blob.digest}`, { method: 'HEAD' });
    expect(head.status).to.equal(200);
    expect(head.headers.get('content-length')).to.equal('5000');
    const get = await fetch(`${registry.url}/v2/ops/logs/blobs/${blob.digest}`);
    expect((await get.arrayBuffer()).byteLength).to.equal(5000);

    const headLine = await recordWith(registry, (r) => r.msg === 'request' && r.method === 'HEAD');
    const getLine = await recordWith(registry, (r) => r.msg === 'request' && r.method === 'GET' && String(r.url).includes('/blobs/'));
    expect(headLine).to.include({ status: 200, bytes: 0 });
    expect(getLine).to.include({ status: 200, bytes: 5000 });

    const records = await jsonLines(registry);
    for (const record of records) {
      expect(record.level, JSON.stringify(record)).to.be.oneOf(['debug', 'info', 'warn', 'error', 'fatal']);
      expect(record, JSON.stringify(record)).to.include({ environment: 'staging', zone: 'eu-1', service: 'private-registry' });
    }
    const started = records.find((r) => r.msg === 'registry listening');
    expect(started).to.include({ level: 'info', url: registry.url, addr: registry.host, storage: 'filesystem', root: registry.rootDirectory });
    // Listening on loopback: nobody else can reach it, so no open-registry warning.
    expect(records.filter((r) => String(r.msg).startsWith('open registry'))).to.deep.equal([]);
    await registry.stop();
  });

  it('writes one human line per record with log.formatter: text', async () => {
    const registry = await startOurRegistry({ config: { log: { formatter: 'text', fields: { zone: 'eu-1' } } } });
    expect((await fetch(`${registry.url}/v2/`)).status).to.equal(200);
    await registry.process.waitForLog(/ INFO request /);
    const lines = (await registry.process.readLog()).split('\n').filter((line) => line !== '');
    const listening = lines.find((line) => line.includes('registry listening'));
    expect(listening).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO registry listening /);
    expect(listening).to.contain(`url=${registry.url}`).and.contain('storage=filesystem').and.contain(`root=${registry.rootDirectory}`);
    for (const line of lines) {
      expect(line).to.match(/^\S+Z (DEBUG|INFO|WARN|ERROR|FATAL) /);
      expect(line).to.contain('zone=eu-1');
      expect(line[0], 'no JSON in text mode').to.not.equal('{');
    }
    await registry.stop();
  });

  it('writes logstash records (@timestamp, @version "1", message, level names) with log.formatter: logstash', async () => {
    const registry = await startOurRegistry({ config: { log: { formatter: 'logstash', fields: { zone: 'eu-1' } } } });
    const records = await jsonLines(registry);
    const listening = records.find((r) => r.message === 'registry listening');
    expect(listening).to.include({ '@version': '1', level: 'info', zone: 'eu-1', storage: 'filesystem' });
    expect(listening?.['@timestamp']).to.match(/^\d{4}-\d\d-\d\dT.*Z$/);
    for (const record of records) expect(record).to.not.have.property('msg');
    await registry.stop();
  });

  it('warns once, naming the address, that anyone who can reach a registry listening on every interface can push and delete', async () => {
    const port = await freePort();
    const registry = await startOurRegistry({ port, config: { http: { addr: `0.0.0.0:${port}` } } });
    const warnings = (await jsonLines(registry)).filter((r) => String(r.msg).startsWith('open registry'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include({ level: 'warn' });
    expect(warnings[0]?.msg).to.contain(`0.0.0.0:${port}`).and.contain('without authentication').and.contain('anyone who can reach it can pull, push and delete images');
    await registry.stop();
  });

  it('answers GET and HEAD / with 200, /healthz with 200 and /readyz with 200 while the store answers', async () => {
    const registry = await startOurRegistry();
    const root = await fetch(`${registry.url}/`);
    expect(root.status).to.equal(200);
    expect(await root.json()).to.deep.include({ service: 'private-registry', api: '/v2/' });
    expect((await fetch(`${registry.url}/`, { method: 'HEAD' })).status).to.equal(200);
    const health = await fetch(`${registry.url}/healthz`);
    expect(health.status).to.equal(200);
    expect(await health.json()).to.deep.equal({ status: 'ok' });
    const ready = await fetch(`${registry.url}/readyz`);
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.include({ status: 'ready', storage: { driver: 'filesystem', status: 'ok' } });
    expect((await fetch(`${registry.url}/no-such-page`)).status).to.equal(404);
    await registry.stop();
  });

  it('keeps /healthz and /readyz at the root beside an http.prefix, and serves them under the prefix too', async () => {
    const dir = (await tempDir('prefix-health')).path;
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(config, JSON.stringify({ version: '0.1', http: { addr: `127.0.0.1:${port}`, prefix: '/registry/' }, storage: { filesystem: { rootdirectory: join(dir, 'data') } } }));
    const child = await spawnCli(['serve', config], { cwd: dir });
    const registry = { url: `http://127.0.0.1:${port}`, stop: () => child.stop() };
    await waitForHttp(`${registry.url}/registry/v2/`, { timeoutMs: 15_000, process: child });
    for (const path of ['/healthz', '/readyz', '/registry/healthz', '/registry/readyz', '/', '/registry/']) {
      expect((await fetch(`${registry.url}${path}`)).status, path).to.equal(200);
    }
    expect(await (await fetch(`${registry.url}/`)).json()).to.deep.include({ api: '/registry/v2/' });
    await registry.stop();
  });
});
