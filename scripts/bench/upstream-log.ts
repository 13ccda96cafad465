// What a mirror asked of its upstream, read from the upstream's access log: distribution writes one line per
// request in Apache's combined log format on stdout (which RegistryProcess sends to server.log), e.g.
//   127.0.0.1 - - [22/Nov/2026:07:22:58 +0000] "GET /v2/bench/mirror/blobs/sha256:… HTTP/1.1" 200 33554432 "" "…"
// The size is what the upstream wrote for that response, so an aborted download counts what was sent.
import { existsSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './statistics.js';

export interface UpstreamTraffic {
  /** Blob GETs and the body bytes the upstream wrote for them. */
  blobGets: number;
  blobBytes: number;
  /** Blob GETs per digest. */
  blobGetsByDigest: Map<string, number>;
  /** Every other request: HEAD of blobs, GET and HEAD of manifests, /v2/. */
  otherRequests: number;
}

const LINE = /"(GET|HEAD) \/v2\/(\S*?)(?:\/(blobs|manifests)\/(\S+))? HTTP\/[\d.]+" (\d{3}) (\d+|-)/;

export class UpstreamLog {
  constructor(readonly path: string) {}

  /** Where the log ends now; `since(mark)` reads what was written after it. */
  mark(): number {
    return statSync(this.path).size;
  }

  async since(mark: number): Promise<UpstreamTraffic> {
    const end = this.mark();
    const traffic: UpstreamTraffic = { blobGets: 0, blobBytes: 0, blobGetsByDigest: new Map(), otherRequests: 0 };
    if (end <= mark) return traffic;
    const file = await open(this.path, 'r');
    let text: string;
    try {
      const buffer = Buffer.alloc(end - mark);
      await file.read(buffer, 0, buffer.length, mark);
      text = buffer.toString('utf8');
    } finally {
      await file.close();
    }
    for (const line of text.split('\n')) {
      const match = LINE.exec(line);
      if (match === null) continue;
      const [, method, , kind, reference, , size] = match;
      if (method === 'GET' && kind === 'blobs' && reference !== undefined) {
        traffic.blobGets += 1;
        traffic.blobBytes += size === '-' ? 0 : Number(size);
        traffic.blobGetsByDigest.set(reference, (traffic.blobGetsByDigest.get(reference) ?? 0) + 1);
      } else {
        traffic.otherRequests += 1;
      }
    }
    return traffic;
  }

  /**
   * Waits until a mirror has stored every blob (distribution's layout, which ours shares) and the upstream's
   * log has stopped growing: distribution's proxy keeps downloading into its cache after the client has its
   * bytes. Returns false if that did not happen within timeoutMs.
   */
  async waitSettled(mirrorDataDir: string, digests: readonly string[], timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const paths = digests.map((digest) => {
      const hex = digest.slice('sha256:'.length);
      return join(mirrorDataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    });
    while (!paths.every((path) => existsSync(path))) {
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
    let size = this.mark();
    for (let stable = 0; stable < 5; ) {
      if (Date.now() > deadline) return false;
      await sleep(100);
      const now = this.mark();
      stable = now === size ? stable + 1 : 0;
      size = now;
    }
    return true;
  }
}
