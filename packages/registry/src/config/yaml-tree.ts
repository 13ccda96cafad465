// Reads YAML text (a config file, or one REGISTRY_* value) into a ConfigNode tree, the way
// distribution's gopkg.in/yaml.v2 reads it: YAML 1.1 (so yes/no/on/off are booleans), merge keys,
// anchors, the first document only. Error messages give line and column but never quote the source,
// which may hold secrets.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import { ConfigError, invalidConfig } from './config-errors.js';
import { mapNode, scalarNode, type ConfigNode, type MapNode } from './config-tree.js';

/** Where YAML came from, for messages: a file path, or an environment variable's name. */
export interface YamlOrigin {
  description: string;
  envVar?: string;
  source?: string;
}

export interface YamlTree {
  /** Undefined for an empty document (only comments or nothing). */
  node: ConfigNode | undefined;
  warnings: string[];
}

// Anchors and aliases can blow a few lines up exponentially ("billion laughs"); no real config comes close.
const MAX_NODES = 100_000;
const MAX_DEPTH = 64;

export function parseYamlTree(text: string, origin: YamlOrigin): YamlTree {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { version: '1.1', merge: true, prettyErrors: false, lineCounter });
  const docs = Array.isArray(parsed) ? parsed : [];
  const warnings: string[] = [];
  const doc = docs[0];
  if (doc === undefined) return { node: undefined, warnings };
  const where = (e: YAMLError): string => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return `${origin.description}:${line}:${col}`;
  };
  for (const d of docs) {
    const error = d.errors[0];
    if (error) throw syntaxError(origin, `${where(error)}: ${error.message}`);
  }
  if (docs.length > 1) warnings.push(`${origin.description}: only the first YAML document is read; ${docs.length - 1} more ignored`);
  for (const w of doc.warnings) warnings.push(`${where(w)}: ${w.message}`);
  const converter = new TreeConverter(doc, origin);
  return { node: doc.contents === null ? undefined : converter.convert(doc.contents, 0), warnings };
}

class TreeConverter {
  private count = 0;
  constructor(
    private readonly doc: Document,
    private readonly origin: YamlOrigin,
  ) {}

  convert(node: unknown, depth: number): ConfigNode {
    if (++this.count > MAX_NODES || depth > MAX_DEPTH) this.fail('the document is too large or too deeply nested (recursive aliases?)');
    if (isAlias(node)) return this.convert(node.resolve(this.doc), depth + 1);
    if (node === null || node === undefined) return scalarNode(null);
    if (isScalar(node)) return scalarFrom(node.value, node.source);
    if (isSeq(node)) return { kind: 'list', items: node.items.map((item) => this.convert(item, depth + 1)) };
    if (isMap(node)) return this.mapFrom(node.items, depth);
    // A flow sequence entry written as "key: value" is a single pair: a one-entry mapping.
    if (isPair(node)) return this.mapFrom([node], depth);
    return this.fail('unsupported YAML node');
  }

  private mapFrom(pairs: readonly unknown[], depth: number): MapNode {
    const map = mapNode();
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const key = isAlias(pair.key) ? pair.key.resolve(this.doc) : pair.key;
      if (isScalar(key) && typeof key.value === 'symbol') {
        // A merge key ("<<: *defaults"): merged entries never override keys written out.
        this.mergeInto(map, this.convert(pair.value, depth + 1));
        continue;
      }
      if (!(isScalar(key) || key === null)) this.fail('mapping keys must be plain values');
      const text = key === null ? '' : (key.source ?? String(key.value));
      map.entries.set(text, this.convert(pair.value, depth + 1));
    }
    return map;
  }

  private mergeInto(map: MapNode, source: ConfigNode): void {
    const sources = source.kind === 'list' ? source.items : [source];
    for (const s of sources) {
      if (s.kind !== 'map') this.fail('a merge key ("<<") must refer to a mapping');
      for (const [k, v] of s.entries) if (!map.entries.has(k)) map.entries.set(k, v);
    }
  }

  private fail(problem: string): never {
    throw syntaxError(this.origin, `${this.origin.description}: ${problem}`);
  }
}

/** A file that is not YAML is unreadable (`config check` exits 2); a variable's bad YAML is a bad value. */
function syntaxError(origin: YamlOrigin, problem: string): ConfigError {
  if (origin.envVar !== undefined) return invalidConfig('', problem, { source: origin.source, envVar: origin.envVar });
  return new ConfigError('CONFIG_UNPARSEABLE', `cannot parse configuration: ${problem}`, { source: origin.source });
}

function scalarFrom(value: unknown, source: string | undefined): ConfigNode {
  if (value === null || value === undefined) return scalarNode(null, '');
  if (typeof value === 'string' || typeof value === 'boolean') return scalarNode(value, source ?? String(value));
  if (typeof value === 'number') return scalarNode(value, source ?? String(value));
  // Timestamps, !!binary and big integers: Go hands string fields the text, so the text is the value.
  const text = source ?? String(value);
  return scalarNode(text, text);
}
