// This host's address, for a unit whose address variable was empty (`--registry-url http://:5000`, as a fleet unit
// writes it on a host without COREOS_PRIVATE_IPV4: bare metal, Vagrant): the IPv4 address of the interface that
// carries the default route, else the first non-loopback IPv4 address. Never 0.0.0.0 or a loopback address.

import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export interface HostAddressSources {
  /** /proc/net/route's text; undefined when it cannot be read. */
  routes?: string;
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export function readHostAddressSources(): HostAddressSources {
  let routes: string | undefined;
  try {
    routes = readFileSync('/proc/net/route', 'utf8');
  } catch {
    routes = undefined;
  }
  return { ...(routes === undefined ? {} : { routes }), interfaces: networkInterfaces() };
}

/** The address, or undefined when this host has no usable IPv4 address. */
export function detectHostAddress(sources: HostAddressSources = readHostAddressSources()): string | undefined {
  const usable = (name: string): string | undefined =>
    sources.interfaces[name]?.find((info) => info.family === 'IPv4' && !info.internal && info.address !== '0.0.0.0')?.address;
  const defaultInterface = sources.routes
    ?.split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    // Iface Destination Gateway ...: the default route's destination is 00000000.
    .find((fields) => fields[1] === '00000000')?.[0];
  if (defaultInterface !== undefined) {
    const address = usable(defaultInterface);
    if (address !== undefined) return address;
  }
  for (const name of Object.keys(sources.interfaces).sort()) {
    const address = usable(name);
    if (address !== undefined) return address;
  }
  return undefined;
}
