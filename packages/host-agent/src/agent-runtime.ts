// Wires one agent from its options: the etcd client, this host's identity, the enabled writers under the root,
// the state file, the reconciler and the loop. `run` keeps it going until SIGTERM/SIGINT, then cleans up
// (unless --keep-on-exit); `--once` reconciles a single time.

import { createLogger, type Logger } from '@private-registry/core';
import { createEtcdClient, describeEtcdSettings } from '@private-registry/core/etcd';
import type { Etcd3 } from 'etcd3';
import type { AgentOptions } from './agent-options.js';
import { AgentStateStore } from './agent-state.js';
import { HostAgent } from './host-agent.js';
import { detectHostIdentity, type HostIdentity } from './host-identity.js';
import { createHostFileWriters, HostRoot, reloadDocker, type HostFileWriter } from './host-files/index.js';
import { Reconciler } from './reconciler.js';
import type { ChoicePolicy } from './registry-choice.js';

export interface AgentParts {
  log: Logger;
  client: Etcd3;
  identity: HostIdentity;
  policy: ChoicePolicy;
  writers: HostFileWriter[];
  store: AgentStateStore;
  root: HostRoot;
}

export function assembleAgent(options: AgentOptions, version: string): AgentParts {
  const log = createLogger({ level: options.logLevel, base: { service: 'registry-host-agent', version } });
  const root = new HostRoot(options.root);
  const identity = detectHostIdentity({ machineIdPath: root.path('/etc/machine-id'), ...options.identity });
  const policy: ChoicePolicy = { preferLocal: options.preferLocal };
  if (options.preferLabels !== undefined) policy.labels = options.preferLabels;
  const writers = createHostFileWriters({
    root,
    enabled: options.writers,
    environmentFile: options.environmentFile,
    dockerDaemonJson: options.dockerDaemonJson,
  });
  return {
    log,
    client: createEtcdClient(options.etcd),
    identity,
    policy,
    writers,
    store: new AgentStateStore(root.path(options.stateFile)),
    root,
  };
}

/** Runs the agent; resolves with the process exit code. */
export async function runAgent(options: AgentOptions, version: string): Promise<number> {
  const parts = assembleAgent(options, version);
  const { log, client } = parts;
  const reconciler = await Reconciler.open({
    writers: parts.writers,
    store: parts.store,
    ...(options.dockerReload === 'none'
      ? {}
      : { reloadDocker: { mode: options.dockerReload, reload: () => reloadDocker(options.dockerReload, { root: parts.root, pidFile: options.dockerPidFile }) } }),
    log,
    dryRun: options.dryRun,
  });
  const agent = new HostAgent({ client, prefix: options.prefix, identity: parts.identity, policy: parts.policy, reconciler, log, timings: options.timings });
  log.info(
    { etcd: describeEtcdSettings(options.etcd), prefix: options.prefix, root: options.root, host: parts.identity, writers: options.writers, dryRun: options.dryRun },
    options.once ? 'reconciling once' : 'watching for registries',
  );
  if (options.once) {
    const ok = await agent.evaluateOnce();
    client.close();
    return ok ? 0 : 1;
  }
  agent.start();
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const cleanup = !options.keepOnExit && !options.dryRun;
  log.info({ signal, cleanup }, cleanup ? 'stopping: removing what this agent added' : 'stopping: leaving the files as they are');
  await agent.stop(cleanup);
  client.close();
  log.info('stopped');
  return 0;
}
