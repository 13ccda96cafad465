// The host agent's file layer: the writers that point this host at a registry, the atomic file primitive
// they share, and the docker reload. createHostFileWriters builds the enabled writers over one root.

import { ContainerdHostsWriter } from './containerd-hosts.js';
import { ContainersRegistriesWriter } from './containers-registries.js';
import { DockerDaemonJsonWriter } from './docker-daemon-json.js';
import type { FlagConflicts } from './docker-flags.js';
import { EnvironmentFileWriter } from './environment-file.js';
import { WRITER_NAMES, type HostFileWriter, type WriterName } from './host-file-writer.js';
import { HostRoot } from './host-root.js';

export interface HostFileWritersOptions {
  /** The directory standing for `/` (a HostRoot or a path); `/` unless told. */
  root?: HostRoot | string;
  /** Which writers, in this order; all of WRITER_NAMES unless told. */
  enabled?: readonly WriterName[];
  /** Host paths instead of the writers' defaults (DEFAULT_*_PATH). */
  environmentFile?: string;
  dockerDaemonJson?: string;
  containerdHostsToml?: string;
  containersDropIn?: string;
  /** Which daemon.json keys dockerd's flags set (the docker writer leaves those alone). */
  dockerFlagConflicts?: () => Promise<FlagConflicts>;
}

export function createHostFileWriters(options: HostFileWritersOptions = {}): HostFileWriter[] {
  const root = options.root instanceof HostRoot ? options.root : new HostRoot(options.root);
  const enabled = [...new Set(options.enabled ?? WRITER_NAMES)];
  return enabled.map((name) => {
    switch (name) {
      case 'environment':
        return new EnvironmentFileWriter(withPath(root, options.environmentFile));
      case 'docker':
        return new DockerDaemonJsonWriter({
          ...withPath(root, options.dockerDaemonJson),
          ...(options.dockerFlagConflicts === undefined ? {} : { flagConflicts: options.dockerFlagConflicts }),
        });
      case 'containerd':
        return new ContainerdHostsWriter(withPath(root, options.containerdHostsToml));
      case 'podman':
        return new ContainersRegistriesWriter(withPath(root, options.containersDropIn));
    }
  });
}

function withPath(root: HostRoot, path: string | undefined): { root: HostRoot; path?: string } {
  return path === undefined ? { root } : { root, path };
}

export { readIfExists, removeFile, writeFileAtomic, type AtomicWriteOptions, type FileEncoding } from './atomic-file.js';
export { ContainerdHostsWriter, CONTAINERD_MARKER, DEFAULT_CONTAINERD_HOSTS_PATH, ownedHostsToml, type ContainerdHostsRecord } from './containerd-hosts.js';
export {
  ContainersRegistriesWriter,
  CONTAINERS_MARKER,
  DEFAULT_CONTAINERS_DROP_IN_PATH,
  containersDropIn,
  type ContainersRegistriesRecord,
} from './containers-registries.js';
export { DockerDaemonJsonWriter, DEFAULT_DAEMON_JSON_PATH, parseDaemonJson, sameMirror, type DaemonJsonRecord } from './docker-daemon-json.js';
export { detectFlagConflicts, setsFlag, type DaemonKey, type FlagConflicts } from './docker-flags.js';
export { DEFAULT_DOCKER_SOCKET, liveConfigMismatch, readLiveRegistryConfig, type ExpectedDockerConfig, type LiveRegistryConfig } from './docker-engine-api.js';
export {
  reloadDocker,
  DockerReloadError,
  DEFAULT_DOCKER_PIDFILE,
  DOCKER_RELOAD_MODES,
  type DockerReloadErrorCode,
  type DockerReloadMode,
  type DockerReloadOptions,
} from './docker-reload.js';
export { EnvironmentFileWriter, DEFAULT_ENVIRONMENT_PATH, dockerRepoLine, type EnvironmentRecord } from './environment-file.js';
export { HostFileError, type HostFileErrorCode } from './host-file-error.js';
export { WRITER_NAMES, type ApplyOptions, type HostFileWriter, type WriteOutcome, type WriterName, type WriterRecord } from './host-file-writer.js';
export { HostRoot } from './host-root.js';
export { assertWritableTarget, mirrorTargetFor, type MirrorTarget } from './mirror-target.js';
