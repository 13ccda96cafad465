// Turns YAML text plus REGISTRY_* variables into a validated RegistryConfig: parse the file (a flavors
// file is first reduced to its chosen flavor), apply the environment (distribution's rule), warn about
// keys we do not act on, read each section with its defaults. No file or process access except through
// `options` (working directory, the default-root probe), so tests drive it directly.
import { readUi } from './ui-section.js';
import { CONFIG_VERSION, DEFAULT_CATALOG_MAX_ENTRIES, DEFAULT_TAGS_MAX_TAGS } from './config-defaults.js';
import { invalidConfig } from './config-errors.js';
import { CONFIG_KEYS, expandShorthand, fieldSpec } from './config-keys.js';
import { ConfigSection } from './config-section.js';
import { mapNode, toPlain, type MapNode } from './config-tree.js';
import { systemProbe, type RootDirectoryProbe } from './default-root.js';
import { flavorFromEnv, isFlavorsFile, selectFlavor } from './flavors.js';
import { readMail } from './mail-section.js';
import { readNotifications } from './notifications-section.js';
import { readAuth } from './auth-section.js';
import { applyEnvOverrides } from './env-overrides.js';
import { readHttp } from './http-section.js';
import { auditKeys } from './key-audit.js';
import { readLog } from './log-section.js';
import type { LoadedConfig, RegistryConfig } from './registry-config.js';
import { readProxy } from './proxy-section.js';
import { readStorage } from './storage-section.js';
import { parseYamlTree } from './yaml-tree.js';

export interface ParseOptions {
  /** Relative paths (a rootdirectory of "./data") are taken from here; default process.cwd(). */
  cwd?: string;
  /** What decides the default root directory; default: this machine, as this process sees it. */
  probe?: RootDirectoryProbe;
}

/**
 * @param yamlText the configuration file's text, or undefined when there is no file (defaults + environment)
 * @param env where REGISTRY_* variables, SETTINGS_FLAVOR and `_env:` references are read from
 * @param source the file's path (or "defaults"), for `source` and messages
 * @throws ConfigError (CONFIG_INVALID) naming the key when a value cannot be used; CONFIG_UNPARSEABLE for text that is not YAML
 */
export function parseConfig(yamlText: string | undefined, env: NodeJS.ProcessEnv, source: string, options: ParseOptions = {}): LoadedConfig {
  const warnings: string[] = [];
  let root = yamlText === undefined ? mapNode() : readFileTree(yamlText, source, warnings);
  const choice = flavorFromEnv(env);
  let flavor: string | undefined;
  if (yamlText !== undefined && isFlavorsFile(root, choice, source)) {
    const selected = selectFlavor(root, choice, env, source);
    root = selected.root;
    flavor = choice.name;
    warnings.push(...selected.warnings);
  } else if (choice.explicit) {
    warnings.push(`SETTINGS_FLAVOR=${choice.name} is ignored: ${yamlText === undefined ? 'no configuration file is read' : `${source} is not a flavors file`}`);
  }
  for (const [key, node] of root.entries) {
    const spec = fieldSpec(CONFIG_KEYS, key);
    if (spec?.shorthand) root.entries.set(key, expandShorthand(node, spec));
  }
  const { origins, warnings: envWarnings } = applyEnvOverrides(root, env, source);
  const audit = auditKeys(root, CONFIG_KEYS);
  warnings.push(...envWarnings, ...audit.warnings);

  const probe = options.probe ?? systemProbe(env);
  const section = ConfigSection.root(root, { source, origins, warnings, cwd: options.cwd ?? process.cwd(), probe });
  // Read in this order (the first bad value is the one reported); notifications default below the storage root.
  const version = readVersion(section, yamlText === undefined ? 'none' : flavor === undefined ? 'file' : 'flavors');
  const log = readLog(section);
  const storage = readStorage(section, yamlText !== undefined);
  const config: RegistryConfig = {
    version,
    log,
    storage,
    http: readHttp(section),
    catalog: { maxEntries: readPageLimit(section.section('catalog'), 'maxentries', DEFAULT_CATALOG_MAX_ENTRIES) },
    tags: { maxTags: readPageLimit(section.section('tags'), 'maxtags', DEFAULT_TAGS_MAX_TAGS) },
    proxy: readProxy(section),
    mail: readMail(section),
    auth: readAuth(section),
    notifications: readNotifications(section, storage),
    ui: readUi(section),
    ignoredKeys: audit.ignored,
    raw: toPlain(root) as Record<string, unknown>,
  };
  return { config, warnings, source, flavor, unknownKeys: audit.unknown, tree: root };
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

/** Distribution requires `version: 0.1` in a file; without a file we assume it, and a flavors file never had one. */
function readVersion(root: ConfigSection, kind: 'file' | 'flavors' | 'none'): typeof CONFIG_VERSION {
  const version = root.string('version');
  if (version === undefined || version === '') {
    if (kind === 'file') root.fail('version', `is required (add "version: ${CONFIG_VERSION}" at the top)`);
    if (kind === 'flavors') return CONFIG_VERSION;
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
