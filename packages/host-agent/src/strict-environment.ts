// Strict mode (--strict): while no registry is announced, DOCKER_REPO names an address that refuses at once
// instead of being removed, so `docker pull ${DOCKER_REPO}myteam/app` fails fast rather than asking Docker Hub
// for a private name (dependency confusion). Only the environment file is affected: the engines' mirrors are
// removed as usual, since a mirror that is down falls back to the upstream only for public names anyway.

import type { ApplyOptions, HostFileWriter, WriteOutcome, WriterRecord } from './host-files/host-file-writer.js';
import type { MirrorTarget } from './host-files/mirror-target.js';

/** Loopback port 1 (tcpmux, never served in practice): a pull is refused within milliseconds, with no DNS lookup. */
export const DEFAULT_STRICT_ADDRESS = '127.0.0.1:1';

export function strictTarget(address: string): MirrorTarget {
  return { address, url: `http://${address}`, scheme: 'http' };
}

/** Wraps the environment writer: a null target becomes the strict address until `release()` (the agent stopping). */
export class StrictEnvironmentWriter implements HostFileWriter {
  readonly name;
  private released = false;
  private readonly fallback: MirrorTarget;

  constructor(
    private readonly inner: HostFileWriter,
    address: string,
  ) {
    this.name = inner.name;
    this.fallback = strictTarget(address);
  }

  /** From now on a null target removes DOCKER_REPO: the agent is leaving the host as it found it. */
  release(): void {
    this.released = true;
  }

  apply(next: MirrorTarget | null, previous: WriterRecord | undefined, options?: ApplyOptions): Promise<WriteOutcome> {
    return this.inner.apply(next ?? (this.released ? null : this.fallback), previous, options);
  }

  inspect(previous: WriterRecord | undefined): Promise<Record<string, unknown>> {
    return this.inner.inspect(previous);
  }
}
