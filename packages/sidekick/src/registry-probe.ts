// Is the registry serving? One GET /v2/ with a deadline: 200 (open registry) and 401 (one that wants a
// login) mean alive; any other status, a refused connection, a TLS failure or a timeout mean not.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { optionError } from './sidekick-error.js';

/** A header a registry may set on /v2/ to say its own version; the record carries it when present. */
export const VERSION_HEADER = 'x-registry-version';

export interface ProbeResult {
  alive: boolean;
  /** The HTTP status, when the registry answered at all. */
  status?: number;
  /** From the VERSION_HEADER of an alive answer. */
  version?: string;
  /** Why not alive, or "HTTP 200": for log lines. */
  detail: string;
  elapsedMs: number;
}

export interface RegistryProbeOptions {
  /** `scheme://host[:port]`; the probe asks for `/v2/` under it. */
  registryUrl: string;
  timeoutMs: number;
  /** PEM CA bundle (path) for an https registry. */
  caFile?: string;
  /** Accept any certificate (self-signed, wrong name). */
  insecure?: boolean;
}

export class RegistryProbe {
  private readonly url: URL;
  private readonly timeoutMs: number;
  private readonly tls: https.RequestOptions;

  /** Reads the CA file now, so a bad path stops the sidekick at start rather than failing every probe. */
  constructor(options: RegistryProbeOptions) {
    this.url = new URL('/v2/', options.registryUrl);
    this.timeoutMs = options.timeoutMs;
    this.tls = { rejectUnauthorized: options.insecure !== true };
    if (options.caFile !== undefined) {
      try {
        this.tls.ca = readFileSync(options.caFile);
      } catch (err) {
        throw optionError(`--registry-ca ${options.caFile}: ${(err as Error).message}`);
      }
    }
  }

  get target(): string {
    return this.url.href;
  }

  /** Never rejects: every failure is a result with `alive: false`. Aborting `signal` ends the probe at once. */
  probe(signal?: AbortSignal): Promise<ProbeResult> {
    const started = Date.now();
    const result = (fields: Omit<ProbeResult, 'elapsedMs'>): ProbeResult => ({ ...fields, elapsedMs: Date.now() - started });
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: ProbeResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const options: https.RequestOptions = {
        method: 'GET',
        // A fresh connection each time: a pooled socket would hide a registry that stopped accepting.
        agent: false,
        headers: { 'user-agent': 'registry-sidekick', accept: 'application/json' },
        ...(this.url.protocol === 'https:' ? this.tls : {}),
      };
      const request = (this.url.protocol === 'https:' ? https : http).request(this.url, options, (response) => {
        const status = response.statusCode ?? 0;
        // The body is not needed; drain it so the socket closes cleanly.
        response.resume();
        if (status === 200 || status === 401) {
          const header = response.headers[VERSION_HEADER];
          const version = typeof header === 'string' && header.trim() !== '' ? header.trim().slice(0, 100) : undefined;
          settle(result({ alive: true, status, detail: `HTTP ${status}`, ...(version === undefined ? {} : { version }) }));
        } else {
          settle(result({ alive: false, status, detail: `HTTP ${status} from ${this.url.href}` }));
        }
      });
      const timer = setTimeout(() => {
        settle(result({ alive: false, detail: `no answer from ${this.url.href} within ${this.timeoutMs} ms` }));
        request.destroy();
      }, this.timeoutMs);
      const onAbort = (): void => {
        settle(result({ alive: false, detail: 'probe aborted' }));
        request.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      request.on('error', (err: Error) => {
        settle(result({ alive: false, detail: `${this.url.href}: ${err.message}` }));
      });
      request.end();
      if (signal?.aborted === true) onAbort();
    });
  }
}
