// Distribution's environment rule: REGISTRY_<PATH> overrides the key whose path, upper-cased with
// "_" between levels, is PATH. Values are YAML; variables apply in sorted name order, so
// REGISTRY_STORAGE (which replaces the whole storage section) lands before REGISTRY_STORAGE_S3_REGION.
// The path follows the known structure (config-keys.ts): fixed keys must match, open maps get the key
// created in lower case, lists take an index (an index equal to the length appends).
import { invalidConfig } from './config-errors.js';
import { CONFIG_KEYS, expandShorthand, type KeySpec } from './config-keys.js';
import { isNull, mapNode, scalarNode, stampOrigin, type ConfigNode, type ListNode, type MapNode } from './config-tree.js';
import { parseYamlTree } from './yaml-tree.js';

const PREFIX = 'REGISTRY_';

/** REGISTRY_ variables that locate the configuration rather than set a key (distribution's CLI reads this one too). */
export const NOT_CONFIG_VARIABLES: ReadonlySet<string> = new Set(['REGISTRY_CONFIGURATION_PATH']);


export interface EnvOverrideResult {
  root: MapNode;
  warnings: string[];
  /** Lower-cased dotted key path → the variable that set it, to name the variable in error messages. */
  origins: Map<string, string>;
}

/** Applies every REGISTRY_* variable of `env` to `root` (mutated and returned). */
export function applyEnvOverrides(root: MapNode, env: NodeJS.ProcessEnv, source: string): EnvOverrideResult {
  const warnings: string[] = [];
  const origins = new Map<string, string>();
  const names = Object.keys(env)
    .filter((name) => name.startsWith(PREFIX) && !NOT_CONFIG_VARIABLES.has(name) && env[name] !== undefined)
    // Byte order, as Go's sort of the environment: a parent's variable sorts before its children's.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const placer = new EnvPlacer(name, env[name] ?? '', source, warnings);
    try {
      const segments = name.slice(PREFIX.length).split('_');
      placer.place(root, CONFIG_KEYS, segments, []);
      origins.set(placer.target.join('.').toLowerCase(), name);
    } catch (err) {
      if (!(err instanceof Unplaceable)) throw err;
      warnings.push(err.message);
    }
  }
  return { root, warnings, origins };
}

/** A variable that names no key: distribution logs a warning and ignores it. */
class Unplaceable extends Error {}

class EnvPlacer {
  /** The key path the variable resolved to, as stored in the tree. */
  target: string[] = [];

  constructor(
    private readonly name: string,
    private readonly value: string,
    private readonly source: string,
    private readonly warnings: string[],
  ) {}

  /** Returns the node that now stands at `path` (a fresh one when the old could not hold the value). */
  place(current: ConfigNode | undefined, spec: KeySpec, segments: readonly string[], path: string[]): ConfigNode {
    const [segment, ...rest] = segments;
    if (segment === undefined) {
      this.target = path;
      return stampOrigin(expandShorthand(this.payload(spec), spec), `env ${this.name}`);
    }
    if (spec.kind === 'list' || (spec.kind === 'any' && current?.kind === 'list')) {
      if (current !== undefined && current.kind !== 'list') throw this.unplaceable(`${path.join('.')} is not a list`);
      const items = spec.kind === 'list' ? spec.items : spec;
      return this.placeInList(current ?? { kind: 'list', items: [] }, items, segment, rest, path);
    }
    if (spec.kind === 'scalar' || (current !== undefined && current.kind !== 'map' && spec.kind === 'any')) {
      throw this.unplaceable(`${path.join('.')} is not a mapping`);
    }
    // A struct position holding a non-mapping (`http: foo`) is replaced: the variable names a key inside it.
    const map = current?.kind === 'map' ? current : mapNode();
    const child = this.childFor(map, spec, segment);
    if (child === undefined) throw new Unplaceable(`ignoring unrecognized environment variable ${this.name}`);
    const existing = map.entries.get(child.key);
    // Like distribution, a null value is recreated rather than descended into.
    map.entries.set(child.key, this.place(isNull(existing) ? undefined : existing, child.spec, rest, [...path, child.key]));
    return map;
  }

  private childFor(map: MapNode, spec: KeySpec, segment: string): { key: string; spec: KeySpec } | undefined {
    // Keys already in the tree are matched upper-cased against the segment, as distribution does.
    const existingKey = (name: string): string | undefined =>
      [...map.entries.keys()].find((k) => k.toUpperCase() === name.toUpperCase());
    if (spec.kind === 'struct') {
      for (const [field, fieldSpec] of Object.entries(spec.fields)) {
        // Go compares the segment with the upper-cased field name: the segment must be upper case.
        if ((fieldSpec.env ?? field).toUpperCase() === segment) return { key: existingKey(field) ?? field, spec: fieldSpec };
      }
      if (spec.otherKeys === undefined) return undefined;
      return { key: existingKey(segment) ?? segment.toLowerCase(), spec: spec.otherKeys };
    }
    const values = spec.kind === 'map' ? spec.values : ({ kind: 'any' } as const);
    return { key: existingKey(segment) ?? segment.toLowerCase(), spec: values };
  }

  /**
   * The value parsed as YAML. Where a single value belongs, text that is not a YAML scalar
   * (REGISTRY_HTTP_ADDR=[::1]:5000, which distribution rejects) is taken as the string it spells.
   */
  private payload(spec: KeySpec): ConfigNode {
    const description = `environment variable ${this.name}`;
    try {
      const parsed = parseYamlTree(this.value, { description, envVar: this.name, source: this.source });
      const node = parsed.node ?? scalarNode(null);
      if (spec.kind !== 'scalar' || node.kind === 'scalar') {
        this.warnings.push(...parsed.warnings);
        return node;
      }
    } catch (err) {
      if (spec.kind !== 'scalar') throw err;
    }
    return scalarNode(this.value);
  }

  private placeInList(list: ListNode, items: KeySpec, segment: string, rest: readonly string[], path: string[]): ListNode {
    const where = path.join('.');
    if (!/^\d+$/.test(segment)) throw this.invalid(where, `"${segment}" is not a list index`);
    const index = Number(segment);
    if (index > list.items.length) {
      throw this.invalid(where, `index ${index} is past the end of the list (it has ${list.items.length} entries; use ${list.items.length} to append)`);
    }
    const existing = list.items[index];
    list.items[index] = this.place(existing === undefined || isNull(existing) ? undefined : existing, items, rest, [...path, segment]);
    return list;
  }

  private unplaceable(problem: string): Unplaceable {
    return new Unplaceable(`ignoring environment variable ${this.name}: ${problem}`);
  }

  private invalid(key: string, problem: string): Error {
    return invalidConfig(key, problem, { envVar: this.name, source: this.source });
  }
}
