// The host agent's flags (each also from the environment) turned into one typed, checked options object.

import { CodedError, DEFAULT_DISCOVERY_PREFIX, normalizePrefix } from '@private-registry/core';
import { addEtcdFlags, etcdSettingsFromFlags, type EtcdSettings } from '@private-registry/core/etcd';
import { Option, type Command } from 'commander';
import { DEFAULT_STATE_FILE } from './agent-state.js';
import { DEFAULT_READY_FILE } from './ready-file.js';
import { DEFAULT_STRICT_ADDRESS } from './strict-environment.js';
import type { AgentTimings } from './host-agent.js';
import type { HostIdentityOverrides } from './host-identity.js';
import { DOCKER_RELOAD_MODES, type DockerReloadMode } from './host-files/docker-reload.js';
import { DEFAULT_DOCKER_SOCKET } from './host-files/docker-engine-api.js';
import { splitAddress } from './agent-metrics.js';
import type { WriterName } from './host-files/host-file-writer.js';


export interface AgentOptions {
  etcd: EtcdSettings;
  prefix: string;
  root: string;
  identity: HostIdentityOverrides;
  preferLocal: boolean;
  preferLabels?: Record<string, string>;
  writers: WriterName[];
  dockerReload: DockerReloadMode;
  dockerPidFile: string;
  /** dockerd's API socket (under root): reloads are checked against GET /info. */
  dockerSocket: string;
  dockerDaemonJson: string;
  /** HOST:PORT for GET /metrics; absent: no metrics endpoint. */
  metricsAddr?: string;
  environmentFile: string;
  stateFile: string;
  /** Written once this run has made its first decision, removed when it stops (`wait` watches it). */
  readyFile: string;
  /** With no registry announced, DOCKER_REPO names strictAddress instead of being removed. */
  strict: boolean;
  strictAddress: string;
  keepOnExit: boolean;
  once: boolean;
  dryRun: boolean;
  timings: AgentTimings;
  logLevel: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Flags shared by `run` and `status`: where etcd is, what prefix, which root, who this host is. */
export function addCommonFlags(command: Command): Command {
  addEtcdFlags(command);
  return command
    .addOption(new Option('--prefix <prefix>', 'etcd key prefix of announced registries').env('DISCOVERY_PREFIX').default(DEFAULT_DISCOVERY_PREFIX))
    .addOption(new Option('--root <dir>', 'root every host path under DIR (tests, containers with the host at /host)').env('HOST_AGENT_ROOT').default('/'))
    .addOption(new Option('--hostname <name>', "this host's name (default: the kernel's)").env('HOST_AGENT_HOSTNAME'))
    .addOption(new Option('--machine-id <id>', "this host's machine id (default: <root>/etc/machine-id)").env('HOST_AGENT_MACHINE_ID'))
    .addOption(new Option('--address <ip>', "an address of this host (repeatable; default: the host's interfaces)").argParser(collect))
    .addOption(new Option('--zone <zone>', "this host's zone: registries announcing it are preferred").env('HOST_AGENT_ZONE'))
    .addOption(new Option('--prefer-label <key=value>', 'prefer registries with this label (repeatable)').argParser(collect))
    .addOption(new Option('--no-prefer-local', 'do not prefer a registry running on this host'))
    .addOption(new Option('--state-file <path>', 'where the agent records what it wrote (under --root)').env('HOST_AGENT_STATE_FILE').default(DEFAULT_STATE_FILE))
    .addOption(new Option('--ready-file <path>', "written at this run's first decision, removed at stop; `wait` watches it (under --root)").env('HOST_AGENT_READY_FILE').default(DEFAULT_READY_FILE))
    .addOption(new Option('--environment-file <path>', 'the environment file DOCKER_REPO goes into (under --root)').default('/etc/environment'))
    .addOption(new Option('--docker-daemon-json <path>', "dockerd's daemon.json (under --root)").default('/etc/docker/daemon.json'))
    .addOption(new Option('--docker-pidfile <path>', "dockerd's pidfile, for --docker-reload=signal (under --root)").default('/var/run/docker.pid'))
    .addOption(new Option('--docker-socket <path>', "dockerd's API socket, to check that a reload took (under --root)").env('HOST_AGENT_DOCKER_SOCKET').default(DEFAULT_DOCKER_SOCKET))
    .addOption(new Option('--no-environment', 'leave /etc/environment alone'))
    .addOption(new Option('--no-docker', "leave dockerd's daemon.json alone"))
    .addOption(new Option('--no-containerd', "leave containerd's hosts.toml alone"))
    .addOption(new Option('--no-podman', 'leave the containers registries.conf.d drop-in alone'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug').env('LOG_LEVEL').default('info'));
}

export function addRunFlags(command: Command): Command {
  return command
    .addOption(new Option('--docker-reload <mode>', 'how dockerd learns of a change').choices([...DOCKER_RELOAD_MODES]).env('HOST_AGENT_DOCKER_RELOAD').default('signal'))
    .addOption(new Option('--metrics-addr <host:port>', 'serve Prometheus metrics on http://HOST:PORT/metrics').env('HOST_AGENT_METRICS_ADDR'))
    .addOption(new Option('--keep-on-exit', 'leave the files as they are when stopped'))
    .addOption(new Option('--once', 'reconcile once and exit'))
    .addOption(new Option('--dry-run', 'log what would be written; write nothing, reload nothing'))
    .addOption(new Option('--hold <ms>', 'how long the chosen registry must be gone before the host lets go of it').env('HOST_AGENT_HOLD_MS').default('1000'))
    .addOption(new Option('--dwell <seconds>', 'how long a choice stands before the host moves again while it is announced (flap damping)').env('HOST_AGENT_DWELL_SECONDS').default('10'))
    .addOption(new Option('--strict', `with no registry announced, point DOCKER_REPO at --strict-address (fails fast) instead of Docker Hub`).env('HOST_AGENT_STRICT'))
    .addOption(new Option('--strict-address <host:port>', 'where DOCKER_REPO points in strict mode while no registry is announced').env('HOST_AGENT_STRICT_ADDRESS').default(DEFAULT_STRICT_ADDRESS))
    .addOption(new Option('--resync <seconds>', 'full read and file repair interval').env('HOST_AGENT_RESYNC_SECONDS').default('30'));
}

/** Commander's parsed values to AgentOptions; a bad value is a CodedError naming the flag. */
export function agentOptionsFromFlags(flags: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): AgentOptions {
  const writers: WriterName[] = [];
  if (flags['environment'] !== false) writers.push('environment');
  if (flags['docker'] !== false) writers.push('docker');
  if (flags['containerd'] !== false) writers.push('containerd');
  if (flags['podman'] !== false) writers.push('podman');
  const identity: HostIdentityOverrides = {};
  if (typeof flags['hostname'] === 'string') identity.hostname = flags['hostname'];
  if (typeof flags['machineId'] === 'string') identity.machineId = flags['machineId'];
  if (typeof flags['zone'] === 'string') identity.zone = flags['zone'];
  const addresses = flags['address'] as string[] | undefined;
  if (addresses !== undefined) identity.addresses = addresses.flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  const options: AgentOptions = {
    etcd: etcdSettingsFromFlags(flags, env),
    prefix: checked('--prefix', () => normalizePrefix(String(flags['prefix']))),
    root: String(flags['root']),
    identity,
    preferLocal: flags['preferLocal'] !== false,
    writers,
    dockerReload: (flags['dockerReload'] as DockerReloadMode | undefined) ?? 'signal',
    dockerPidFile: absolute('--docker-pidfile', flags['dockerPidfile']),
    dockerSocket: absolute('--docker-socket', flags['dockerSocket'] ?? DEFAULT_DOCKER_SOCKET),
    dockerDaemonJson: absolute('--docker-daemon-json', flags['dockerDaemonJson']),
    environmentFile: absolute('--environment-file', flags['environmentFile']),
    stateFile: absolute('--state-file', flags['stateFile']),
    readyFile: absolute('--ready-file', flags['readyFile'] ?? DEFAULT_READY_FILE),
    strict: flags['strict'] === true,
    strictAddress: strictAddress(flags['strictAddress'] ?? DEFAULT_STRICT_ADDRESS),
    keepOnExit: flags['keepOnExit'] === true,
    once: flags['once'] === true,
    dryRun: flags['dryRun'] === true,
    timings: {
      settleMs: 50,
      holdMs: nonNegativeNumber('--hold', flags['hold'] ?? '1000'),
      dwellMs: nonNegativeNumber('--dwell', flags['dwell'] ?? '10') * 1000,
      resyncMs: nonNegativeNumber('--resync', flags['resync'] ?? '30') * 1000,
    },
    logLevel: String(flags['logLevel'] ?? 'info'),
  };
  if (!options.root.startsWith('/')) throw new CodedError('OPTION_INVALID', `--root "${options.root}" must be an absolute path`);
  if (options.timings.resyncMs < 1000) throw new CodedError('OPTION_INVALID', '--resync must be at least 1 second');
  if (typeof flags['metricsAddr'] === 'string') {
    const address = flags['metricsAddr'];
    checked('--metrics-addr', () => splitAddress(address));
    options.metricsAddr = address;
  }
  const labels = flags['preferLabel'] as string[] | undefined;
  if (labels !== undefined) options.preferLabels = parseLabels(labels);
  return options;
}

function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new CodedError('OPTION_INVALID', `--prefer-label "${value}" is not key=value`);
    labels[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return labels;
}

/** HOST:PORT with a port, no scheme or path: it becomes DOCKER_REPO=<HOST:PORT>/. */
function strictAddress(value: unknown): string {
  const text = String(value).trim();
  if (!/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(text)) {
    throw new CodedError('OPTION_INVALID', `--strict-address "${text}" is not HOST:PORT (such as ${DEFAULT_STRICT_ADDRESS})`);
  }
  return text;
}

function absolute(flag: string, value: unknown): string {
  const path = String(value);
  if (!path.startsWith('/')) throw new CodedError('OPTION_INVALID', `${flag} "${path}" must be an absolute path (it is taken under --root)`);
  return path;
}

function nonNegativeNumber(flag: string, value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new CodedError('OPTION_INVALID', `${flag} "${String(value)}" is not a non-negative number`);
  return n;
}

function checked<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw new CodedError('OPTION_INVALID', `${flag}: ${(err as Error).message}`);
  }
}
