// Requests fetch cannot make: raw paths sent as written (no "..", "//" or percent normalisation),
// Content-Length values that disagree with the body, arbitrary methods.
import { request } from 'node:http';
import { ApiResponse } from './api-client.js';

export interface RawRequest {
  method: string;
  /** Sent verbatim on the request line. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export function sendRaw(baseUrl: string, raw: RawRequest): Promise<ApiResponse> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method: raw.method, path: raw.path, headers: raw.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
          }
          resolve(new ApiResponse(res.statusCode ?? 0, headers, Buffer.concat(chunks)));
        });
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${raw.method} ${raw.path} within 30 s`)));
    req.on('error', reject);
    if (raw.body !== undefined) req.write(raw.body);
    req.end();
  });
}
