// The untyped configuration tree that the file and REGISTRY_* variables are merged into before it
// is read into a RegistryConfig. Scalars keep their source text, as Go's YAML decoder does for string
// fields (so `secret: 0123` stays "0123", not the octal 83). A node may carry its origin (a flavor, an
// environment variable, a default) so `config check` can say where each value came from.

/** Where a value came from, e.g. "env REGISTRY_HTTP_ADDR", "flavor prod", "default"; absent: the file. */
export interface Origin {
  origin?: string;
}

export interface ScalarNode extends Origin {
  kind: 'scalar';
  /** Resolved YAML 1.1 value: what a free-form (driver parameter) position receives. */
  value: string | number | boolean | null;
  /** The text as written: what a string-typed position receives ("" for null). */
  text: string;
}
export interface ListNode extends Origin {
  kind: 'list';
  items: ConfigNode[];
}
export interface MapNode extends Origin {
  kind: 'map';
  /** Keys as written; lookups against the known structure are case-insensitive. */
  entries: Map<string, ConfigNode>;
}
export type ConfigNode = ScalarNode | ListNode | MapNode;

export function scalarNode(value: ScalarNode['value'], text?: string): ScalarNode {
  return { kind: 'scalar', value, text: text ?? (value === null ? '' : String(value)) };
}

export function mapNode(entries?: Iterable<[string, ConfigNode]>): MapNode {
  return { kind: 'map', entries: new Map(entries) };
}

export function isNull(node: ConfigNode | undefined): boolean {
  return node === undefined || (node.kind === 'scalar' && node.value === null);
}

/** Stamps `origin` on `node` and everything inside it (in place), replacing earlier stamps; returns `node`. */
export function stampOrigin<T extends ConfigNode>(node: T, origin: string): T {
  node.origin = origin;
  if (node.kind === 'list') for (const item of node.items) stampOrigin(item, origin);
  if (node.kind === 'map') for (const child of node.entries.values()) stampOrigin(child, origin);
  return node;
}

/** Every key of `map` equal to `name` ignoring case (more than one is a conflict the caller reports). */
export function keysMatching(map: MapNode, name: string): string[] {
  const lower = name.toLowerCase();
  return [...map.entries.keys()].filter((k) => k.toLowerCase() === lower);
}

/** The first entry whose key equals `name` ignoring case. */
export function findEntry(map: MapNode, name: string): [string, ConfigNode] | undefined {
  const key = keysMatching(map, name)[0];
  return key === undefined ? undefined : [key, map.entries.get(key) as ConfigNode];
}

/** Plain JavaScript values, for the parts of the tree kept raw (driver parameters, ignored sections). */
export function toPlain(node: ConfigNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'list':
      return node.items.map(toPlain);
    case 'map':
      return Object.fromEntries([...node.entries].map(([k, v]) => [k, toPlain(v)]));
  }
}

/** How a value is shown in an error message; `secret` positions never show their value. */
export function describeNode(node: ConfigNode, secret: boolean): string {
  if (node.kind === 'map') return 'a mapping';
  if (node.kind === 'list') return 'a list';
  if (secret) return 'a value that is not shown (secret)';
  return typeof node.value === 'string' ? JSON.stringify(node.text) : node.text;
}
