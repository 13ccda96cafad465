// The one warning line for a registry that anyone on the network may write to (it listens beyond loopback
// and no `auth` section is configured), or whose credentials cross the network in clear text (auth on,
// no TLS: behind a TLS-terminating proxy that is expected, and the line says so).
import { isIP } from 'node:net';
import type { RegistryConfig } from './config/registry-config.js';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost (and IPv4-mapped loopback). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const v4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The warning for this configuration, or undefined when only this machine can reach the registry. */
export function openRegistryWarning(config: RegistryConfig): string | undefined {
  const listen = config.http.listen;
  if (listen.net !== 'tcp' || (listen.host !== undefined && isLoopbackHost(listen.host))) return undefined;
  const where = listen.host === undefined ? `every interface (${config.http.addr})` : config.http.addr;
  if (config.auth !== undefined) {
    if (config.http.tls !== undefined) return undefined;
    return `authentication without TLS: listening on ${where} over plain HTTP, so passwords and tokens cross the network in clear text; configure http.tls, or make sure a TLS proxy in front is the only way in`;
  }
  const actions = config.storage.maintenance.readOnly.enabled
    ? 'pull every image'
    : config.storage.delete.enabled
      ? 'pull, push and delete images'
      : 'pull and push images (and overwrite tags)';
  return `open registry: listening on ${where} without authentication: anyone who can reach it can ${actions}; configure an auth section (see docs/authentication.md), or listen on 127.0.0.1`;
}
