// The one thing every host file is pointed at: the chosen registry as a Docker reference prefix and a URL.

import { registryAddress, registryUrl, type RegistryRecord } from '@private-registry/core';
import { HostFileError } from './host-file-error.js';

export interface MirrorTarget {
  /** host:port as a Docker reference prefix wants it (IPv6 in brackets): "10.0.0.5:5000" */
  address: string;
  /** "http://10.0.0.5:5000" */
  url: string;
  scheme: 'http' | 'https';
}

/** The target for an announced registry. */
export function mirrorTargetFor(registry: Pick<RegistryRecord, 'scheme' | 'host' | 'port'>): MirrorTarget {
  return {
    address: registryAddress(registry),
    url: registryUrl(registry.scheme, registry.host, registry.port),
    scheme: registry.scheme,
  };
}

// Characters that could end a value early in one of the formats we write (line, JSON, TOML strings).
const UNSAFE = /[\s"'\\#=/]/;

/** Refuses a target whose address or url would not stay one value in every file we write. */
export function assertWritableTarget(target: MirrorTarget): void {
  const { address, url, scheme } = target;
  if (scheme !== 'http' && scheme !== 'https') throw new HostFileError('INVALID_TARGET', `mirror scheme "${String(scheme)}" is not http or https`);
  if (address === '' || UNSAFE.test(address)) throw new HostFileError('INVALID_TARGET', `mirror address "${address}" is not host:port`);
  const rest = url.startsWith(`${scheme}://`) ? url.slice(scheme.length + 3).replace(/\/$/, '') : undefined;
  if (rest === undefined || rest === '' || UNSAFE.test(rest)) {
    throw new HostFileError('INVALID_TARGET', `mirror url "${url}" is not ${scheme}://host:port`);
  }
}
