// One HTTP exchange with an upstream over node:http(s) with kept-alive connections: the response body is the
// socket's own stream (no web-stream conversion on the blob path), redirects are followed (a CDN for blobs),
// and Authorization is dropped when a redirect leaves the upstream's origin.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { UpstreamError } from './upstream-error.js';

const MAX_REDIRECTS = 5;
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

export interface HttpExchange {
  status: number;
  headers: Headers;
  /** The body; the caller must read or destroy it. */
  body: IncomingMessage;
}

/**
 * Sends the request and resolves once response headers arrive (after redirects). Rejects when nothing
 * answered within `timeoutMs`; the body itself may take as long as it needs.
 */
export async function exchange(url: URL, method: 'GET' | 'HEAD', headers: Record<string, string>, timeoutMs: number): Promise<HttpExchange> {
  let target = url;
  let sendHeaders = headers;
  for (let hop = 0; ; hop++) {
    const response = await once(target, method, sendHeaders, timeoutMs);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined && hop < MAX_REDIRECTS) {
      response.resume();
      const next = new URL(location, target);
      if (next.origin !== target.origin) {
        // A pre-signed CDN URL must not get the upstream's credentials.
        const { Authorization: _dropped, ...rest } = sendHeaders;
        sendHeaders = rest;
      }
      target = next;
      continue;
    }
    return { status, headers: toHeaders(response), body: response };
  }
}

function once(url: URL, method: string, headers: Record<string, string>, timeoutMs: number): Promise<IncomingMessage> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers, agent: secure ? httpsAgent : httpAgent }, (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

function toHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** A small body (a manifest, a tag list, a token) read whole, refused past `limit` bytes. */
export async function readSmallBody(body: Readable | null, upstream: string, what: string, limit: number): Promise<Buffer> {
  if (body === null) throw new UpstreamError('UPSTREAM_FAILED', `${upstream} sent ${what} without a body`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      body.destroy();
      throw new UpstreamError('UPSTREAM_FAILED', `${upstream} sent ${what} over ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}
