// A containers-registries.conf drop-in for podman, CRI-O, buildah and skopeo, a file we own entirely: docker.io
// pulls try our registry first. Removal deletes the file. Note: a drop-in's [[registry]] replaces any entry with
// the same prefix from registries.conf, and a v1-format registries.conf cannot be mixed with (v2) drop-ins.

import { parse } from 'smol-toml';
import type { WriterRecord } from './host-file-writer.js';
import type { HostRoot } from './host-root.js';
import type { MirrorTarget } from './mirror-target.js';
import { recordString, SingleFileWriter, type FilePlan, type PlanPlace } from './single-file-writer.js';

/** Drop-ins load in name order, a later one overriding the same prefix: 50 leaves room on either side. */
export const DEFAULT_CONTAINERS_DROP_IN_PATH = '/etc/containers/registries.conf.d/50-registry-host-agent.conf';

export const CONTAINERS_MARKER = '# Managed by registry-host-agent: rewritten on every change, deleted when no registry is announced.';

export interface ContainersRegistriesRecord {
  path: string;
  /** The mirror location we wrote. */
  location: string;
}

export class ContainersRegistriesWriter extends SingleFileWriter<ContainersRegistriesRecord> {
  readonly name = 'podman';

  constructor(options: { root: HostRoot; path?: string }) {
    super({ root: options.root, path: options.path ?? DEFAULT_CONTAINERS_DROP_IN_PATH });
  }

  protected parseRecord(record: WriterRecord): ContainersRegistriesRecord {
    return { path: recordString(this.name, record, 'path'), location: recordString(this.name, record, 'location') };
  }

  protected plan(current: string | undefined, next: MirrorTarget | null, previous: ContainersRegistriesRecord | undefined, { path }: PlanPlace): FilePlan<ContainersRegistriesRecord> {
    if (next === null) {
      // Ours by record or by marker (a lost state file); a stranger's file under our name is left alone.
      const ours = current !== undefined && (previous !== undefined || current.startsWith(CONTAINERS_MARKER));
      return { content: ours ? undefined : current, record: undefined };
    }
    return { content: containersDropIn(next), record: { path, location: next.address } };
  }

  protected describe(current: string | undefined, previous: ContainersRegistriesRecord | undefined): Record<string, unknown> {
    let mirrors: string[];
    try {
      mirrors = dockerIoMirrors(current ?? '');
    } catch (err) {
      return { valid: false, error: (err as Error).message };
    }
    return {
      valid: true,
      ownedFile: current?.startsWith(CONTAINERS_MARKER) ?? false,
      ours: previous?.location,
      mirrors,
      present: previous !== undefined && mirrors.includes(previous.location),
    };
  }
}

/** The mirror locations a drop-in gives docker.io. */
function dockerIoMirrors(text: string): string[] {
  const registries: unknown = parse(text)['registry'];
  if (!Array.isArray(registries)) return [];
  const dockerIo = (registries as unknown[]).filter(isTable).find((r) => r['prefix'] === 'docker.io');
  const mirrors = dockerIo?.['mirror'];
  if (!Array.isArray(mirrors)) return [];
  return (mirrors as unknown[]).filter(isTable).flatMap((m) => (typeof m['location'] === 'string' ? [m['location']] : []));
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function containersDropIn(target: MirrorTarget): string {
  const lines = [
    CONTAINERS_MARKER,
    '# docker.io pulls try the registry announced in etcd first, then docker.io itself.',
    '[[registry]]',
    'prefix = "docker.io"',
    'location = "docker.io"',
    '',
    '[[registry.mirror]]',
    `location = ${JSON.stringify(target.address)}`,
  ];
  if (target.scheme === 'http') lines.push('insecure = true');
  lines.push('');
  return lines.join('\n');
}
