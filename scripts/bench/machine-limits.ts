// The physical ceilings the registry figures sit under: SHA-256 speed (every pushed byte is hashed),
// loopback HTTP copy with Node at both ends (the bench client is Node), and disk write with fdatasync.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { MB, MiB, megabytesPerSecond, timed } from './statistics.js';
import type { TestBlob } from './test-blob.js';

const run = promisify(execFile);

export async function opensslSha256(): Promise<number> {
  const { stdout } = await run('openssl', ['speed', '-evp', 'sha256', '-bytes', '65536', '-seconds', '2'], { timeout: 60_000 });
  const match = /^sha256\s+([\d.]+)k\s*$/im.exec(stdout);
  if (!match) throw new Error(`openssl speed: no sha256 line in:\n${stdout}`);
  return (Number(match[1]) * 1000) / MB; // openssl prints 1000s of bytes per second
}

/** Node's own SHA-256 (what our registry uses), fed 64 KiB pieces as a socket would deliver them. */
export function nodeSha256(totalBytes: number): number {
  const piece = Buffer.alloc(64 * 1024, 0x5a);
  const hash = createHash('sha256');
  const started = process.hrtime.bigint();
  for (let done = 0; done < totalBytes; done += piece.length) hash.update(piece);
  hash.digest();
  return megabytesPerSecond(totalBytes, Number(process.hrtime.bigint() - started) / 1e9);
}

export async function diskWrite(dir: string): Promise<number> {
  const target = join(dir, 'dd-write.tmp');
  try {
    const { stderr } = await run('dd', ['if=/dev/zero', `of=${target}`, 'bs=1M', 'count=512', 'conv=fdatasync'], { timeout: 120_000 });
    const match = /^(\d+) bytes .* copied, ([\d.]+) s/m.exec(stderr);
    if (!match) throw new Error(`dd: unexpected output:\n${stderr}`);
    return megabytesPerSecond(Number(match[1]), Number(match[2]));
  } finally {
    await rm(target, { force: true });
  }
}

// A separate process, like a registry: PUT discards the body, or with ?file= hashes it and writes it
// to that file with an fsync at the end (the least a registry must do); GET ?file= streams a file.
const COPY_SERVER = `
const http = require('node:http'), fs = require('node:fs'), crypto = require('node:crypto');
const server = http.createServer((req, res) => {
  const file = new URL(req.url, 'http://x').searchParams.get('file');
  if (req.method === 'GET' && file) {
    res.writeHead(200, { 'Content-Length': fs.statSync(file).size });
    fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
    return;
  }
  if (file) {
    const hash = crypto.createHash('sha256');
    const out = fs.createWriteStream(file, { highWaterMark: 1 << 20 });
    req.on('data', (c) => hash.update(c));
    req.pipe(out);
    out.on('finish', () => {
      const fd = fs.openSync(file, 'r+');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      res.end(hash.digest('hex'));
    });
    return;
  }
  let n = 0;
  req.on('data', (c) => { n += c.length; });
  req.on('end', () => res.end(String(n)));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

export interface LoopbackServer {
  /** With a file: the server hashes the body and writes it there (fsync at the end); without: discards it. */
  upload(blob: TestBlob, file?: string): Promise<number>;
  download(file: string, bytes: number): Promise<number>;
  stop(): void;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  const child = spawn(process.execPath, ['-e', COPY_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`loopback copy server exited (${code})`)));
  });
  const agent = new http.Agent({ keepAlive: true });
  const base = `http://127.0.0.1:${port}/`;
  return {
    async upload(blob, file) {
      const url = file === undefined ? base : `${base}?file=${encodeURIComponent(file)}`;
      const { seconds } = await timed(
        () =>
          new Promise<void>((resolve, reject) => {
            const request = http.request(url, { method: 'PUT', agent, headers: { 'Content-Length': blob.size } }, (response) => {
              response.resume();
              response.once('end', resolve);
            });
            request.once('error', reject);
            pipeline(blob.body(), request).catch(reject);
          }),
      );
      if (file !== undefined) await rm(file, { force: true });
      return megabytesPerSecond(blob.size, seconds);
    },
    async download(file, bytes) {
      const { seconds } = await timed(
        () =>
          new Promise<void>((resolve, reject) => {
            http
              .get(`${base}?file=${encodeURIComponent(file)}`, { agent }, (response) => {
                response.resume();
                response.once('end', resolve);
              })
              .once('error', reject);
          }),
      );
      return megabytesPerSecond(bytes, seconds);
    },
    stop() {
      agent.destroy();
      child.kill('SIGTERM');
    },
  };
}

export const SHA256_SAMPLE_BYTES = 512 * MiB;
