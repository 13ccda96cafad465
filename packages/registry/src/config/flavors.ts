// Configuration flavors, as the old Python docker-registry had them: a file whose top level holds `common:`
// plus named flavors (dev, prod, test, any name), one chosen by SETTINGS_FLAVOR (default dev) and merged
// over `common`. Inside a flavor both distribution's keys and the old flat keys are accepted; the result is
// one distribution-format tree, so everything after this (REGISTRY_* variables, reading) is the same.
import { invalidConfig } from './config-errors.js';
import { CONFIG_KEYS } from './config-keys.js';
import { findEntry, isNull, mapNode, stampOrigin, type ConfigNode, type MapNode } from './config-tree.js';
import { resolveEnvReferences } from './env-references.js';
import { mapLegacyKeys } from './legacy-keys.js';

export const DEFAULT_FLAVOR = 'dev';
export const COMMON_FLAVOR = 'common';
/** Driver keys of distribution's storage section: a flavor naming one replaces common's driver. */
const DRIVER_KEYS = new Set(['filesystem', 'inmemory', 's3', 'azure', 'gcs', 'swift', 'oss']);

export interface FlavorChoice {
  name: string;
  /** True when SETTINGS_FLAVOR chose it (false: the default). */
  explicit: boolean;
}

export function flavorFromEnv(env: NodeJS.ProcessEnv): FlavorChoice {
  const name = env.SETTINGS_FLAVOR;
  return name === undefined || name === '' ? { name: DEFAULT_FLAVOR, explicit: false } : { name, explicit: true };
}

/**
 * A flavors file has none of distribution's top-level keys (version, storage, http...) and has `common`,
 * or the chosen flavor, or only mappings at the top level. Both kinds at once is refused: read either way,
 * half of it would be ignored (e.g. prod's S3 storage, with the file served from local disk).
 */
export function isFlavorsFile(root: MapNode, flavor: FlavorChoice, source: string): boolean {
  const keys = [...root.entries.keys()];
  const distribution = keys.filter((k) => CONFIG_KEYS.kind === 'struct' && Object.hasOwn(CONFIG_KEYS.fields, k.toLowerCase()));
  const flavorKeys = keys.filter((k) => k === COMMON_FLAVOR || k === flavor.name);
  if (distribution.length > 0 && flavorKeys.length > 0) {
    throw invalidConfig(
      '',
      `${source} mixes flavor sections (${flavorKeys.join(', ')}) with distribution's top-level keys (${distribution.join(', ')}): ` +
        'put those keys inside common or a flavor, or drop the flavor sections',
      { source },
    );
  }
  if (distribution.length > 0) return false;
  if (flavorKeys.length > 0) return true;
  return keys.length > 0 && [...root.entries.values()].every((node) => node.kind === 'map');
}

/** The chosen flavor merged over `common`, `_env:` values resolved, old keys mapped; warnings for dropped keys. */
export function selectFlavor(root: MapNode, flavor: FlavorChoice, env: NodeJS.ProcessEnv, source: string): { root: MapNode; warnings: string[] } {
  const defined = [...root.entries.keys()].filter((k) => k !== COMMON_FLAVOR);
  const chosen = root.entries.get(flavor.name);
  if (chosen === undefined) {
    const how = flavor.explicit ? '' : ' (the default; set SETTINGS_FLAVOR to choose)';
    const known = defined.length === 0 ? 'it defines no flavor besides common' : `its flavors: ${defined.join(', ')}`;
    throw invalidConfig('', `flavor "${flavor.name}"${how} is not defined in ${source}; ${known}`, { source, ...(flavor.explicit ? { envVar: 'SETTINGS_FLAVOR' } : {}) });
  }
  const layers: [string, ConfigNode | undefined][] = flavor.name === COMMON_FLAVOR ? [[COMMON_FLAVOR, chosen]] : [[COMMON_FLAVOR, root.entries.get(COMMON_FLAVOR)], [flavor.name, chosen]];
  let merged = mapNode();
  for (const [name, node] of layers) {
    if (isNull(node) || node === undefined) continue;
    if (node.kind !== 'map') throw invalidConfig(name, `a flavor must be a mapping of configuration keys`, { source });
    // A copy: YAML merge keys (`<<: *common`) share nodes between flavors, and stamping must not leak.
    const layer = resolveEnvReferences(stampOrigin(structuredClone(node), `flavor ${name}`), env, source) as MapNode;
    merged = mergeFlavor(merged, layer);
  }
  const warnings = mapLegacyKeys(merged, source);
  return { root: merged, warnings };
}

/**
 * `overlay` over `base`: mappings merge key by key (case-insensitively), anything else replaces. A storage
 * mapping that names a driver drops the base's driver, so common's filesystem and prod's s3 never collide.
 */
export function mergeFlavor(base: MapNode, overlay: MapNode, path = ''): MapNode {
  const result = mapNode(base.entries);
  result.origin = overlay.origin ?? base.origin;
  const overlayDrivers = path === 'storage' && [...overlay.entries.keys()].some((k) => DRIVER_KEYS.has(k.toLowerCase()));
  if (overlayDrivers) for (const key of [...result.entries.keys()]) if (DRIVER_KEYS.has(key.toLowerCase())) result.entries.delete(key);
  for (const [key, node] of overlay.entries) {
    const existing = findEntry(result, key);
    if (existing !== undefined) result.entries.delete(existing[0]);
    const childPath = path === '' ? key.toLowerCase() : `${path}.${key.toLowerCase()}`;
    result.entries.set(key, existing !== undefined && existing[1].kind === 'map' && node.kind === 'map' ? mergeFlavor(existing[1], node, childPath) : node);
  }
  return result;
}
