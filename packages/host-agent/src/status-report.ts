// `registry-host-agent status`: what the agent sees in etcd, what it would choose, what it last applied
// (the state file) and what the files say now. Reads only; writes nothing.

import { chooseRegistry } from './registry-choice.js';
import { RegistryDirectory } from './registry-directory.js';
import type { AgentOptions } from './agent-options.js';
import { assembleAgent } from './agent-runtime.js';
import { mirrorTargetFor } from './host-files/mirror-target.js';

export async function statusReport(options: AgentOptions, version: string): Promise<Record<string, unknown>> {
  const parts = assembleAgent({ ...options, logLevel: 'error' }, version);
  try {
    const directory = new RegistryDirectory(parts.client, options.prefix, parts.log);
    const read = await directory.read();
    const state = await parts.store.load();
    const files: Record<string, unknown> = {};
    for (const writer of parts.writers) files[writer.name] = await writer.inspect(state.writers[writer.name]);
    const choice = read.ok ? chooseRegistry(read.snapshot.records, parts.identity, parts.policy) : undefined;
    return {
      host: parts.identity,
      etcd: read.ok ? { reachable: true, revision: read.snapshot.revision } : { reachable: false, error: read.error.message },
      registries: read.ok ? read.snapshot.records : undefined,
      wouldChoose: choice === undefined ? undefined : choice === null ? null : { id: choice.record.id, reason: choice.reason, ...mirrorTargetFor(choice.record) },
      applied: { registryId: state.registryId, target: state.target, reason: state.reason, updatedAt: state.updatedAt, errors: state.errors },
      ready: (await parts.readyFile.read()) ?? null,
      files,
    };
  } finally {
    parts.client.close();
  }
}
