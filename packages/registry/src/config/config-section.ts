// Typed reads from one mapping of the merged tree. Every failure names the dotted key (and the
// REGISTRY_* variable that set it, if one did); secret keys never show their value.
import { invalidConfig } from './config-errors.js';
import { isSecretKey } from './config-keys.js';
import { describeNode, isNull, keysMatching, type ConfigNode, type MapNode } from './config-tree.js';
import { parseByteSize } from './byte-size.js';
import { parseGoDuration } from './go-duration.js';
import type { RootDirectoryProbe } from './default-root.js';

export interface ReadContext {
  source: string;
  /** Relative paths in the configuration are taken from here (distribution uses the working directory). */
  cwd: string;
  /** Decides the default filesystem root directory. */
  probe: RootDirectoryProbe;
  /** Lower-cased dotted key → the REGISTRY_* variable that set it. */
  origins: ReadonlyMap<string, string>;
  warnings: string[];
}

export class ConfigSection {
  private constructor(
    /** Dotted path of this section ("" for the root). */
    readonly path: string,
    /** Undefined when the section is absent or null: every read then returns undefined. */
    readonly node: MapNode | undefined,
    readonly context: ReadContext,
  ) {}

  static root(node: MapNode, context: ReadContext): ConfigSection {
    return new ConfigSection('', node, context);
  }

  /** True when the section is present and not null. */
  get present(): boolean {
    return this.node !== undefined;
  }

  keyPath(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }

  /** The value at `name` (case-insensitive), undefined when absent or null. */
  child(name: string): ConfigNode | undefined {
    if (this.node === undefined) return undefined;
    const keys = keysMatching(this.node, name);
    if (keys.length > 1) this.fail(name, `given more than once (${keys.map((k) => JSON.stringify(k)).join(', ')}; keys are case-insensitive)`);
    const node = keys[0] === undefined ? undefined : this.node.entries.get(keys[0]);
    return isNull(node) ? undefined : node;
  }

  section(name: string): ConfigSection {
    const node = this.child(name);
    if (node !== undefined && node.kind !== 'map') this.expected(name, 'a mapping', node);
    return new ConfigSection(this.keyPath(name), node, this.context);
  }

  /** A list of mappings (`proxy.upstreams`), each as a section named `<path>[i]`; absent → []. */
  sectionList(name: string): ConfigSection[] {
    const node = this.child(name);
    if (node === undefined) return [];
    if (node.kind !== 'list') return this.expected(name, 'a list of mappings', node);
    return node.items.map((item, i) => {
      const path = `${this.keyPath(name)}[${i}]`;
      if (item.kind !== 'map') this.fail(`${name}[${i}]`, `expected a mapping, got ${describeNode(item, isSecretKey(path))}`);
      return new ConfigSection(path, item, this.context);
    });
  }

  string(name: string): string | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    if (node.kind !== 'scalar') this.expected(name, 'a string', node);
    return node.text;
  }

  /** A string that must be one of `allowed` (compared in lower case); `aliases` maps other spellings. */
  choice<T extends string>(name: string, allowed: readonly T[], aliases: Readonly<Record<string, T>> = {}): T | undefined {
    const text = this.string(name);
    if (text === undefined || text === '') return undefined;
    const lower = text.toLowerCase();
    const found = allowed.find((a) => a === lower) ?? (Object.hasOwn(aliases, lower) ? aliases[lower] : undefined);
    if (found === undefined) {
      const shown = isSecretKey(this.keyPath(name)) ? 'the value' : JSON.stringify(text);
      this.fail(name, `${shown} is not one of ${[...allowed, ...Object.keys(aliases)].join(', ')}`);
    }
    return found;
  }

  bool(name: string): boolean | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    if (node.kind === 'scalar' && typeof node.value === 'boolean') return node.value;
    // A quoted "true" is what a template engine tends to produce; accept it rather than fail on quoting.
    if (node.kind === 'scalar' && /^(true|false)$/i.test(node.text)) return node.text.toLowerCase() === 'true';
    return this.expected(name, 'a boolean', node);
  }

  integer(name: string): number | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    if (node.kind === 'scalar' && typeof node.value === 'number' && Number.isSafeInteger(node.value)) return node.value;
    if (node.kind === 'scalar' && /^[+-]?\d+$/.test(node.text) && Number.isSafeInteger(Number(node.text))) return Number(node.text);
    return this.expected(name, 'an integer', node);
  }

  /** A Go duration ("10s", "1h30m", "168h") in milliseconds; must not be negative. */
  duration(name: string): number | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    if (node.kind !== 'scalar') return this.expected(name, 'a duration such as "10s"', node);
    if (node.value === 0) return 0;
    if (typeof node.value === 'number') {
      this.fail(name, `${node.text} is not a duration: give a unit, e.g. "${node.text}s" (Go syntax: ns, us, ms, s, m, h)`);
    }
    const ms = parseGoDuration(node.text);
    if (ms === undefined) this.fail(name, `${JSON.stringify(node.text)} is not a duration (Go syntax, e.g. "10s", "1h30m", "168h")`);
    if (ms < 0) this.fail(name, `${JSON.stringify(node.text)} must not be negative`);
    return ms;
  }

  /** A size in bytes: an integer, or "50GB", "512MiB" (see parseByteSize). */
  byteSize(name: string): number | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    if (node.kind !== 'scalar') return this.expected(name, 'a size such as "50GB"', node);
    const bytes = parseByteSize(node.text);
    if (bytes === undefined) this.fail(name, `${JSON.stringify(node.text)} is not a size (bytes, or a number with kB, MB, GB, TB, KiB, MiB, GiB, TiB)`);
    return bytes;
  }

  /** A list of strings; a single string is taken as a one-entry list. */
  stringList(name: string): string[] | undefined {
    const node = this.child(name);
    if (node === undefined) return undefined;
    return listOfStrings(node, this.keyPath(name), (problem) => this.fail(name, problem));
  }

  /** Stops startup: `invalid configuration: <path>.<name>: <problem>`. Pass "" to blame the section itself. */
  fail(name: string, problem: string): never {
    const key = name === '' ? this.path : this.keyPath(name);
    throw invalidConfig(key, problem, { source: this.context.source, envVar: originOf(key, this.context.origins) });
  }

  warn(message: string): void {
    this.context.warnings.push(message);
  }

  private expected(name: string, what: string, node: ConfigNode): never {
    return this.fail(name, `expected ${what}, got ${describeNode(node, isSecretKey(this.keyPath(name)))}`);
  }
}

export function listOfStrings(node: ConfigNode, path: string, fail: (problem: string) => never): string[] {
  if (node.kind === 'scalar') return [node.text];
  if (node.kind === 'map') return fail('expected a list of strings, got a mapping');
  return node.items.map((item, i) => {
    if (item.kind !== 'scalar') return fail(`entry ${i}: expected a string, got ${describeNode(item, isSecretKey(path))}`);
    return item.text;
  });
}

/**
 * The variable that set `key` or one of its parents (the longest match); failing that, the variables
 * that set keys inside it ("certificate and key must both be set" after REGISTRY_HTTP_TLS_CERTIFICATE).
 */
function originOf(key: string, origins: ReadonlyMap<string, string>): string | undefined {
  const lower = key.toLowerCase();
  let best: [string, string] | undefined;
  const inside: string[] = [];
  for (const [path, name] of origins) {
    if ((lower === path || lower.startsWith(`${path}.`)) && (best === undefined || path.length > best[0].length)) best = [path, name];
    if (path.startsWith(`${lower}.`)) inside.push(name);
  }
  return best?.[1] ?? (inside.length > 0 ? inside.join(', ') : undefined);
}
