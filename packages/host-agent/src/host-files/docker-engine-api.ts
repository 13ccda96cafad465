// Asks the running dockerd what registry configuration it has live (GET /info on its API socket), so a reload
// is known to have taken: dockerd answers SIGHUP without a word when daemon.json was refused.

import { request } from 'node:http';
import { CodedError } from '@private-registry/core';
import { sameMirror } from './docker-daemon-json.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface LiveRegistryConfig {
  /** RegistryConfig.Mirrors: "http://10.0.0.5:5000/" (dockerd adds the slash). */
  mirrors: string[];
  /** RegistryConfig.IndexConfigs: registries configured by name, with whether dockerd talks TLS to them. */
  secureByName: Record<string, boolean>;
}

/** What a reload should have made live: our mirror there (first) or gone, our insecure address there or gone. */
export interface ExpectedDockerConfig {
  mirror?: { url: string; present: boolean };
  insecure?: { address: string; present: boolean };
}

export async function readLiveRegistryConfig(socketPath: string, timeoutMs = 3_000): Promise<LiveRegistryConfig> {
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath, path: '/info', method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new CodedError('DOCKER_API_FAILED', `dockerd's GET /info answered ${res.statusCode ?? '?'}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new CodedError('DOCKER_API_FAILED', `dockerd's GET /info on ${socketPath} took over ${timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof CodedError ? err : new CodedError('DOCKER_API_FAILED', `cannot ask dockerd on ${socketPath}: ${err.message}`, { cause: err })));
    req.end();
  });
  const info = JSON.parse(body) as { RegistryConfig?: { Mirrors?: string[] | null; IndexConfigs?: Record<string, { Secure?: boolean }> | null } };
  const config = info.RegistryConfig ?? {};
  const secureByName: Record<string, boolean> = {};
  for (const [name, index] of Object.entries(config.IndexConfigs ?? {})) secureByName[name] = index.Secure !== false;
  return { mirrors: config.Mirrors ?? [], secureByName };
}

/** Why the live configuration differs from what was expected, or undefined when it matches. */
export function liveConfigMismatch(live: LiveRegistryConfig, expected: ExpectedDockerConfig): string | undefined {
  const { mirror, insecure } = expected;
  if (mirror !== undefined) {
    const at = live.mirrors.findIndex((m) => sameMirror(m, mirror.url));
    if (mirror.present && at !== 0) return `dockerd's mirrors are ${JSON.stringify(live.mirrors)}, without ${mirror.url} first`;
    if (!mirror.present && at !== -1) return `dockerd still has the mirror ${mirror.url}`;
  }
  if (insecure !== undefined) {
    const plain = live.secureByName[insecure.address] === false;
    if (insecure.present && !plain) return `dockerd does not treat ${insecure.address} as an insecure registry`;
    if (!insecure.present && plain) return `dockerd still treats ${insecure.address} as an insecure registry`;
  }
  return undefined;
}
