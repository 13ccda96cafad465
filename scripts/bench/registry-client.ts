// The bench's HTTP client for the registry API: the three push forms, blob pull, manifest push.
// Bodies are streamed both ways; a pulled body is counted and dropped, not kept.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TestBlob } from './test-blob.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

type Body = Buffer | Readable | undefined;

function send(method: string, url: string, headers: http.OutgoingHttpHeaders, body: Body): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
      );
      response.once('error', reject);
    });
    request.once('error', reject);
    if (body instanceof Readable) {
      // A server may answer (an error) before reading the whole body; the reply is what matters then.
      pipeline(body, request).catch((error: unknown) => request.destroy(error as Error));
    } else {
      request.end(body);
    }
  });
}

function expectStatus(reply: Reply, expected: number, what: string): void {
  if (reply.status !== expected) {
    throw new Error(`${what}: expected HTTP ${expected}, got ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
}

function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

const OCTETS = 'application/octet-stream';

export class RegistryClient {
  constructor(readonly baseUrl: string) {}

  private url(path: string): string {
    return new URL(path, this.baseUrl).toString();
  }

  private location(reply: Reply, what: string): string {
    const location = reply.headers.location;
    if (!location) throw new Error(`${what}: no Location header`);
    return new URL(location, this.baseUrl).toString();
  }

  async startUpload(name: string): Promise<string> {
    const reply = await send('POST', this.url(`/v2/${name}/blobs/uploads/`), { 'Content-Length': 0 }, undefined);
    expectStatus(reply, 202, `POST upload session in ${name}`);
    return this.location(reply, 'POST upload session');
  }

  /** POST (open a session), then PUT ?digest= with the whole body: what distribution 2.8 calls monolithic. */
  async pushWhole(name: string, blob: TestBlob): Promise<void> {
    const location = await this.startUpload(name);
    const reply = await send('PUT', withDigest(location, blob.digest), { 'Content-Type': OCTETS, 'Content-Length': blob.size }, blob.body());
    expectStatus(reply, 201, `PUT blob ${blob.digest}`);
  }

  /** POST, then PATCH chunks with `Content-Range: start-end` (inclusive, distribution's form), then PUT ?digest=. */
  /**
   * `freshConnections`: every PATCH on a connection of its own (`Connection: close`), so that under http.workers
   * consecutive chunks reach different workers.
   */
  async pushChunked(name: string, blob: TestBlob, chunkBytes: number, freshConnections = false): Promise<void> {
    let location = await this.startUpload(name);
    for (let start = 0; start < blob.size; start += chunkBytes) {
      const end = Math.min(blob.size, start + chunkBytes);
      const headers = { 'Content-Type': OCTETS, 'Content-Length': end - start, 'Content-Range': `${start}-${end - 1}`, ...(freshConnections ? { Connection: 'close' } : {}) };
      const reply = await send('PATCH', location, headers, blob.body(start, end));
      expectStatus(reply, 202, `PATCH ${start}-${end - 1}`);
      location = this.location(reply, 'PATCH');
    }
    const reply = await send('PUT', withDigest(location, blob.digest), { 'Content-Length': 0 }, undefined);
    expectStatus(reply, 201, `PUT (close chunked upload) ${blob.digest}`);
  }

  /**
   * One POST ?digest= carrying the whole body (OCI spec's monolithic form). Returns false when the
   * registry ignores the body and opens a session instead (distribution 2.8 does).
   */
  async pushSinglePost(name: string, blob: TestBlob): Promise<boolean> {
    const url = withDigest(this.url(`/v2/${name}/blobs/uploads/`), blob.digest);
    const reply = await send('POST', url, { 'Content-Type': OCTETS, 'Content-Length': blob.size }, blob.body());
    if (reply.status === 202) return false;
    expectStatus(reply, 201, `POST ?digest= ${blob.digest}`);
    return true;
  }

  async pushSmallBlob(name: string, bytes: Buffer): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const location = await this.startUpload(name);
    const reply = await send('PUT', withDigest(location, digest), { 'Content-Type': OCTETS, 'Content-Length': bytes.length }, bytes);
    expectStatus(reply, 201, `PUT small blob ${digest}`);
    return digest;
  }

  async putManifest(name: string, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
    const headers = { 'Content-Type': mediaType, 'Content-Length': bytes.length };
    const reply = await send('PUT', this.url(`/v2/${name}/manifests/${reference}`), headers, bytes);
    expectStatus(reply, 201, `PUT manifest ${name}:${reference}`);
  }

  async request(method: 'GET' | 'HEAD', path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
    return send(method, this.url(path), headers, undefined);
  }

  /** GETs a blob, reading and discarding the body; returns the byte count (and checks the digest if asked). */
  pullBlob(name: string, digest: string, verify = false): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = http.get(this.url(`/v2/${name}/blobs/${digest}`), { agent }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`GET blob ${digest}: HTTP ${response.statusCode}`));
          return;
        }
        const hash = verify ? createHash('sha256') : undefined;
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash?.update(chunk);
        });
        response.once('error', reject);
        response.once('end', () => {
          const actual = hash ? `sha256:${hash.digest('hex')}` : digest;
          if (actual !== digest) reject(new Error(`GET blob ${digest}: body hashes to ${actual}`));
          else resolve(bytes);
        });
      });
      request.once('error', reject);
    });
  }
}
