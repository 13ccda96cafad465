// Turns YAML text plus REGISTRY_* variables into a validated RegistryConfig: parse the file, apply
// the environment (distribution's rule), warn about keys we do not act on, read each section with
// its defaults. Pure: no file or process access, so tests drive it directly.
import { CONFIG_VERSION, DEFAULT_CATALOG_MAX_ENTRIES, DEFAULT_TAGS_MAX_TAGS } from './config-defaults.js';
import { invalidConfig } from './config-errors.js';
import { CONFIG_KEYS, expandShorthand, fieldSpec } from './config-keys.js';
import { ConfigSection } from './config-section.js';
import { mapNode, toPlain, type MapNode } from './config-tree.js';
import { applyEnvOverrides } from './env-overrides.js';
import { readHttp } from './http-section.js';
import { auditKeys } from './key-audit.js';
import { readLog } from './log-section.js';
import type { LoadedConfig, RegistryConfig } from './registry-config.js';
import { readProxy } from './proxy-section.js';
import { readStorage } from './storage-section.js';
import { parseYamlTree } from './yaml-tree.js';

/**
 * @param yamlText the configuration file's text, or undefined when there is no file (defaults + environment)
 * @param env where REGISTRY_* variables are read from
 * @param source the file's path (or "defaults"), for `source` and messages
 * @throws ConfigError (CONFIG_INVALID) naming the key when a value cannot be used
 */
export function parseConfig(yamlText: string | undefined, env: NodeJS.ProcessEnv, source: string): LoadedConfig {
  const warnings: string[] = [];
  const root = yamlText === undefined ? mapNode() : readFileTree(yamlText, source, warnings);
  for (const [key, node] of root.entries) {
    const spec = fieldSpec(CONFIG_KEYS, key);
    if (spec?.shorthand) root.entries.set(key, expandShorthand(node, spec));
  }
  const { origins, warnings: envWarnings } = applyEnvOverrides(root, env, source);
  const audit = auditKeys(root, CONFIG_KEYS);
  warnings.push(...envWarnings, ...audit.warnings);

  const section = ConfigSection.root(root, { source, origins, warnings });
  const config: RegistryConfig = {
    version: readVersion(section, yamlText !== undefined),
    log: readLog(section),
    storage: readStorage(section),
    http: readHttp(section),
    catalog: { maxEntries: readPageLimit(section.section('catalog'), 'maxentries', DEFAULT_CATALOG_MAX_ENTRIES) },
    tags: { maxTags: readPageLimit(section.section('tags'), 'maxtags', DEFAULT_TAGS_MAX_TAGS) },
    proxy: readProxy(section),
    ignoredKeys: audit.ignored,
    raw: toPlain(root) as Record<string, unknown>,
  };
  return { config, warnings, source };
}

function readFileTree(yamlText: string, source: string, warnings: string[]): MapNode {
  const parsed = parseYamlTree(yamlText, { description: source, source });
  warnings.push(...parsed.warnings);
  if (parsed.node === undefined) return mapNode();
  if (parsed.node.kind !== 'map') {
    throw invalidConfig('', `${source}: expected a mapping of configuration keys at the top level, got a ${parsed.node.kind === 'list' ? 'list' : 'single value'}`, { source });
  }
  return parsed.node;
}

/** Distribution requires `version: 0.1` in a file; without a file we assume it. */
function readVersion(root: ConfigSection, fromFile: boolean): typeof CONFIG_VERSION {
  const version = root.string('version');
  if (version === undefined || version === '') {
    if (fromFile) root.fail('version', `is required (add "version: ${CONFIG_VERSION}" at the top)`);
    root.warn(`configuration key "version" is not set; assuming ${CONFIG_VERSION}`);
    return CONFIG_VERSION;
  }
  if (version !== CONFIG_VERSION) root.fail('version', `unsupported version ${JSON.stringify(version)} (only ${CONFIG_VERSION} is defined)`);
  return CONFIG_VERSION;
}

/** Like distribution: zero or less means the default for catalog, but a negative tag limit is an error. */
function readPageLimit(section: ConfigSection, name: string, fallback: number): number {
  const n = section.integer(name);
  if (n !== undefined && n < 0 && name === 'maxtags') section.fail(name, `must not be negative, got ${n}`);
  return n === undefined || n <= 0 ? fallback : n;
}
