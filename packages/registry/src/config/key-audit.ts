// Walks the merged tree against the key table and words the warnings for keys we do not act on:
// known to distribution but not supported yet, or not in distribution's format at all (a typo).
// Warnings name key paths only, never values, so they are safe to log.
import { fieldSpec, type KeySpec } from './config-keys.js';
import { isNull, type ConfigNode } from './config-tree.js';

export interface KeyAudit {
  /** Dotted paths (as written) of distribution keys that are present but not supported yet. */
  ignored: string[];
  /** Dotted paths of keys in no known structure (typos): warnings for serve, errors for `config check` and --strict. */
  unknown: string[];
  warnings: string[];
}

export function unsupportedKeyWarning(path: string, note?: string): string {
  return `configuration key "${path}" is not supported yet and is ignored${note === undefined ? '' : `: ${note}`}`;
}

/** `origin` says where a key came from when not the file itself (a flavor, a variable). */
export function unknownKeyWarning(path: string, origin?: string): string {
  return `unknown configuration key "${path}"${origin === undefined ? '' : ` (${origin})`}`;
}

export function auditKeys(node: ConfigNode, spec: KeySpec): KeyAudit {
  const audit: KeyAudit = { ignored: [], unknown: [], warnings: [] };
  walk(node, spec, '', audit);
  return audit;
}

function walk(node: ConfigNode, spec: KeySpec, path: string, audit: KeyAudit): void {
  if (isNull(node)) return;
  if (spec.ignored) {
    audit.ignored.push(path);
    audit.warnings.push(unsupportedKeyWarning(path, spec.note));
    return;
  }
  if (spec.kind === 'struct' && node.kind === 'map') {
    for (const [key, child] of node.entries) {
      const childPath = path === '' ? key : `${path}.${key}`;
      const childSpec = fieldSpec(spec, key);
      if (childSpec === undefined) {
        audit.unknown.push(childPath);
        audit.warnings.push(unknownKeyWarning(childPath, child.origin));
      }
      else walk(child, childSpec, childPath, audit);
    }
  } else if (spec.kind === 'map' && node.kind === 'map') {
    for (const [key, child] of node.entries) walk(child, spec.values, `${path}.${key}`, audit);
  } else if (spec.kind === 'list' && node.kind === 'list') {
    node.items.forEach((item, i) => walk(item, spec.items, `${path}.${i}`, audit));
  }
  // Shape errors (a list where a mapping belongs) are the reader's to report, with the key.
}
