// The old docker-registry's `_env:VAR[:default]` values (its config_sample.yml is full of them, e.g.
// `storage_path: _env:STORAGE_PATH:/tmp/registry`): the variable's value, else the default, read as YAML
// the way it did (an unset variable without a default is null: the key counts as absent). Flavor files only.
import { isNull, scalarNode, stampOrigin, type ConfigNode } from './config-tree.js';
import { parseYamlTree } from './yaml-tree.js';

const ENV_REFERENCE = /^_env:([^:]+)(?::([\s\S]*))?$/;

/** Replaces every `_env:` scalar inside `node` (in place for maps and lists); returns the resolved node. */
export function resolveEnvReferences(node: ConfigNode, env: NodeJS.ProcessEnv, source: string): ConfigNode {
  if (node.kind === 'map') {
    for (const [key, child] of node.entries) node.entries.set(key, resolveEnvReferences(child, env, source));
    return node;
  }
  if (node.kind === 'list') {
    node.items = node.items.map((item) => resolveEnvReferences(item, env, source));
    return node;
  }
  if (typeof node.value !== 'string') return node;
  const match = ENV_REFERENCE.exec(node.value);
  if (match === null) return node;
  const name = match[1] as string;
  const fromEnv = env[name];
  const text = fromEnv ?? match[2] ?? '';
  const where = fromEnv === undefined ? `default of _env:${name}` : `env ${name}`;
  const parsed = parseYamlTree(text, { description: fromEnv === undefined ? `${source}: the default of _env:${name}` : `environment variable ${name}`, source, envVar: fromEnv === undefined ? undefined : name });
  const resolved = parsed.node ?? scalarNode(null);
  const origin = node.origin === undefined ? where : `${where} (${node.origin})`;
  return isNull(resolved) ? scalarNode(null) : stampOrigin(resolved, origin);
}
