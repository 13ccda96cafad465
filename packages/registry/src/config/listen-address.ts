// Parses Go-style listen addresses: ":5000" (every interface), "127.0.0.1:5000", "localhost:5000",
// "[::1]:5000". Like Go, an IPv6 host needs brackets; unlike Go, the port must be a number, not a
// service name (":http").
import { isIPv6 } from 'node:net';

export interface HostPort {
  /** Undefined when the host part is empty (":5000"): listen on every interface. */
  host: string | undefined;
  port: number;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

export function parseHostPort(text: string): HostPort | undefined {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) {
    const [, host = '', port = ''] = bracketed;
    return isIPv6(host) ? withPort(host, port) : undefined;
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  const host = text.slice(0, colon);
  if (host.includes(':') || (host !== '' && !HOSTNAME.test(host))) return undefined;
  return withPort(host === '' ? undefined : host, text.slice(colon + 1));
}

function withPort(host: string | undefined, port: string): HostPort | undefined {
  if (!/^\d{1,5}$/.test(port)) return undefined;
  const n = Number(port);
  return n <= 65_535 ? { host, port: n } : undefined;
}

