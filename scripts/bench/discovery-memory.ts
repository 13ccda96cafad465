// `npm run bench:discovery-memory`: what the sidekick and the host agent hold in memory at rest. Starts etcd and a
// stand-in /v2/ (a plain HTTP 200), then runs each command under each set of Node options for a settle time and
// reads VmRSS and VmHWM from /proc; node doing nothing and node that only imported etcd3 are the baselines.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanupTestbed, ourCliPath, startEtcd, startProcess, tempDir } from '@private-registry/testbed';
import { median, sleep } from './statistics.js';

const { values: args } = parseArgs({ options: { settle: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' }, help: { type: 'boolean', default: false } } });
if (args.help) {
  process.stdout.write('npm run bench:discovery-memory -- [--settle 10] [--runs 3]\n');
  process.exit(0);
}
const SETTLE_MS = Number(args.settle) * 1000;
const RUNS = Number(args.runs);
/** The Node options the fleet units give the sidekick and agent containers, and the steps towards them. */
const VARIANTS = ['', '--max-semi-space-size=1', '--max-semi-space-size=1 --jitless'];

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function measure(name: string, args: string[], nodeOptions: string): Promise<{ rss: number; hwm: number }> {
  const dir = (await tempDir('bench-memory')).path;
  const child = await startProcess({ name, command: process.execPath, args, logFile: join(dir, `${name}.log`), env: { NODE_OPTIONS: nodeOptions, ETCD_ENDPOINTS: undefined } });
  await sleep(SETTLE_MS);
  if (!child.isRunning()) throw new Error(`${name} exited early; see ${child.logFile}`);
  const figures = memory(child.pid);
  await child.stop({ signal: 'SIGTERM' });
  return figures;
}

const etcd = await startEtcd();
const registry = createServer((_req, res) => res.writeHead(200, { 'docker-distribution-api-version': 'registry/2.0' }).end('{}'));
await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
const port = (registry.address() as { port: number }).port;
try {
  const rows: string[] = [];
  const row = async (label: string, options: string, command: () => Promise<string[]>): Promise<void> => {
    const samples = [];
    for (let run = 0; run < RUNS; run++) samples.push(await measure(label.split(' ')[0] ?? 'x', await command(), options));
    rows.push(`| ${label} | \`${options || '(none)'}\` | ${median(samples.map((s) => s.rss)).toFixed(1)} | ${median(samples.map((s) => s.hwm)).toFixed(1)} |`);
    process.stderr.write(`[bench:discovery-memory] ${rows.at(-1)}\n`);
  };
  await row('node, idle', '', async () => ['-e', 'setInterval(() => {}, 1000)']);
  await row('node, etcd3 imported', '', async () => ['--input-type=module', '-e', `await import(${JSON.stringify(import.meta.resolve('etcd3', import.meta.resolve('../../packages/core/package.json')))}); setInterval(() => {}, 1000)`]);
  for (const options of VARIANTS) {
    await row('registry-sidekick run', options, async () => [ourCliPath('sidekick'), 'run', '--registry-url', `http://127.0.0.1:${port}`, '--advertise', `127.0.0.1:${port}`, '--etcd', etcd.endpoint]);
    await row('registry-host-agent run', options, async () => [ourCliPath('host-agent'), 'run', '--etcd', etcd.endpoint, '--root', (await tempDir('bench-agent-root')).path, '--docker-reload', 'none', '--hostname', 'h', '--machine-id', 'm']);
  }
  process.stdout.write(
    [
      `Machine: ${os.availableParallelism()} CPUs, Node ${process.version}; each figure the median of ${RUNS} runs, read ${SETTLE_MS / 1000} s after start (one registry announced, one agent watching it).`,
      '',
      '| process | NODE_OPTIONS | VmRSS MB | VmHWM MB |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
} finally {
  registry.close();
  await cleanupTestbed();
}
