// Wires one agent from its options: the etcd client, this host's identity, the enabled writers under the root,
// the state file, the reconciler and the loop. `run` keeps it going until SIGTERM/SIGINT, then cleans up
// (unless --keep-on-exit); signals that arrive during cleanup are logged and ignored, so a second SIGTERM
// cannot leave the host half restored. `--once` reconciles a single time.

import { statSync } from 'node:fs';
import { CodedError, createLogger, type Logger } from '@private-registry/core';
import { createEtcdClient, describeEtcdSettings } from '@private-registry/core/etcd';
import type { Etcd3 } from 'etcd3';
import type { AgentOptions } from './agent-options.js';
import { AgentStateStore } from './agent-state.js';
import { HostAgent } from './host-agent.js';
import { detectHostIdentity, type HostIdentity } from './host-identity.js';
import { createHostFileWriters, detectFlagConflicts, HostRoot, reloadDocker, type HostFileWriter } from './host-files/index.js';
import { AgentMetrics } from './agent-metrics.js';
import { DockerReloadCheck } from './docker-reload-check.js';
import { Reconciler } from './reconciler.js';
import type { ChoicePolicy } from './registry-choice.js';
import { ReadyFile } from './ready-file.js';
import { StrictEnvironmentWriter } from './strict-environment.js';

export interface AgentParts {
  log: Logger;
  client: Etcd3;
  identity: HostIdentity;
  policy: ChoicePolicy;
  writers: HostFileWriter[];
  store: AgentStateStore;
  root: HostRoot;
  readyFile: ReadyFile;
  /** The environment writer in strict mode, to release at stop. */
  strict?: StrictEnvironmentWriter;
}

export function assembleAgent(options: AgentOptions, version: string): AgentParts {
  const log = createLogger({ level: options.logLevel, base: { service: 'registry-host-agent', version } });
  assertRootDirectory(options.root);
  const root = new HostRoot(options.root);
  const identity = detectHostIdentity({ machineIdPath: root.path('/etc/machine-id'), ...options.identity });
  const policy: ChoicePolicy = { preferLocal: options.preferLocal };
  if (options.preferLabels !== undefined) policy.labels = options.preferLabels;
  const writers = createHostFileWriters({
    root,
    enabled: options.writers,
    environmentFile: options.environmentFile,
    dockerDaemonJson: options.dockerDaemonJson,
    dockerFlagConflicts: () => detectFlagConflicts({ root, pidFile: options.dockerPidFile }),
  });
  const parts: AgentParts = {
    log,
    client: createEtcdClient(options.etcd),
    identity,
    policy,
    writers,
    store: new AgentStateStore(root.path(options.stateFile)),
    root,
    readyFile: new ReadyFile(root.path(options.readyFile)),
  };
  const environment = writers.findIndex((w) => w.name === 'environment');
  if (options.strict && environment !== -1) {
    parts.strict = new StrictEnvironmentWriter(writers[environment] as HostFileWriter, options.strictAddress);
    writers[environment] = parts.strict;
  }
  return parts;
}

/** --root must name an existing directory: the agent would otherwise make a whole tree of /etc paths somewhere. */
function assertRootDirectory(root: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    throw new CodedError('OPTION_INVALID', `--root "${root}" does not exist`);
  }
  if (!isDirectory) throw new CodedError('OPTION_INVALID', `--root "${root}" is not a directory`);
}

/** Runs the agent; resolves with the process exit code. */
export async function runAgent(options: AgentOptions, version: string): Promise<number> {
  const parts = assembleAgent(options, version);
  const { log, client } = parts;
  const metrics = new AgentMetrics();
  const metricsServer = options.metricsAddr === undefined || options.once ? undefined : await metrics.serve(options.metricsAddr, log);
  const reconciler = await Reconciler.open({
    writers: parts.writers,
    store: parts.store,
    ...(options.dockerReload === 'none'
      ? {}
      : {
          dockerReload: new DockerReloadCheck({
            mode: options.dockerReload,
            reload: () => reloadDocker(options.dockerReload, { root: parts.root, pidFile: options.dockerPidFile }),
            socketPath: parts.root.path(options.dockerSocket),
            log,
            metrics,
          }),
        }),
    log,
    dryRun: options.dryRun,
  });
  const { readyFile } = parts;
  // A mark left by an earlier run (a crash) must not satisfy `wait` before this run has decided.
  if (!options.once && !options.dryRun) await readyFile.clear();
  const agent = new HostAgent({
    client,
    prefix: options.prefix,
    identity: parts.identity,
    policy: parts.policy,
    reconciler,
    log,
    timings: options.timings,
    events: {
      decided: (registryId) => {
        if (options.dryRun) return;
        readyFile.mark(registryId).then(
          () => log.info({ registry: registryId, readyFile: readyFile.path }, 'first decision made'),
          (err: Error) => log.error({ err: err.message, readyFile: readyFile.path }, 'could not write the ready file'),
        );
      },
      moved: (from, to) => {
        metrics.count('moves');
        log.info({ from, to }, 'host moved');
      },
    },
  });
  log.info(
    { etcd: describeEtcdSettings(options.etcd), prefix: options.prefix, root: options.root, host: parts.identity, writers: options.writers, dryRun: options.dryRun },
    options.once ? 'reconciling once' : 'watching for registries',
  );
  if (options.once) {
    const ok = await agent.evaluateOnce();
    reconciler.close();
    client.close();
    return ok ? 0 : 1;
  }
  agent.start();
  const signal = await firstStopSignal(log);
  const cleanup = !options.keepOnExit && !options.dryRun;
  log.info({ signal, cleanup }, cleanup ? 'stopping: removing what this agent added' : 'stopping: leaving the files as they are');
  parts.strict?.release();
  await agent.stop(cleanup);
  reconciler.close();
  metricsServer?.close();
  if (!options.dryRun) await readyFile.clear().catch((err: Error) => log.warn({ err: err.message }, 'could not remove the ready file'));
  client.close();
  log.info('stopped');
  return 0;
}

/**
 * Resolves at the first SIGTERM or SIGINT. The handlers stay installed: a later signal (systemd's or docker's
 * second SIGTERM, an impatient Ctrl-C) is logged and ignored while cleanup finishes; only SIGKILL interrupts it.
 */
function firstStopSignal(log: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (first === undefined) {
        first = signal;
        resolve(signal);
      } else {
        log.warn({ signal }, 'already stopping: finishing the cleanup first');
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
