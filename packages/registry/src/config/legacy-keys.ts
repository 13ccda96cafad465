// The old Python docker-registry's flat keys, accepted inside a flavor and moved to their distribution
// equivalents (`s3_bucket` → storage.s3.bucket, `secret_key` → http.secret...). Keys that mean nothing to
// this registry are dropped with a warning naming them; an old storage we do not have stops startup.
// The table is documented in docs/configuration.md ("Old docker-registry keys").
import { invalidConfig } from './config-errors.js';
import { findEntry, isNull, mapNode, scalarNode, type ConfigNode, type MapNode } from './config-tree.js';

/** Old key → distribution path. Storage keys depend on the driver and are handled apart. */
const SIMPLE: Readonly<Record<string, readonly string[]>> = {
  loglevel: ['log', 'level'],
  secret_key: ['http', 'secret'],
  smtp_host: ['mail', 'host'],
  smtp_port: ['mail', 'port'],
  smtp_login: ['mail', 'username'],
  smtp_password: ['mail', 'password'],
  smtp_secure: ['mail', 'tls'],
  from_addr: ['mail', 'from'],
  to_addr: ['mail', 'to'],
};

/** Old S3 keys → parameters of distribution's S3 driver. */
const S3: Readonly<Record<string, string>> = {
  s3_access_key: 'accesskey',
  s3_secret_key: 'secretkey',
  s3_bucket: 'bucket',
  boto_bucket: 'bucket',
  s3_region: 'region',
  s3_encrypt: 'encrypt',
  s3_secure: 'secure',
  s3_use_sigv4: 'v4auth',
};

/** Keys of the old registry that have no meaning here: warned about by name and dropped. */
export const MEANINGLESS_KEYS: readonly string[] = [
  'standalone', 'storage_alternate', 'glance', 'issue', 'debug', 'index_endpoint', 'disable_token_auth',
  'privileged_key', 'search_backend', 'sqlalchemy_index_database', 'cache', 'cache_lru', 'bugsnag', 'cors',
  'boto_debug', 'cloudfront', 'mirroring.source_index',
];

/** Old storage names → the distribution driver. Other old names (glance, swift, gcs...) stop startup. */
const STORAGE_NAMES: Readonly<Record<string, string>> = { local: 'filesystem', file: 'filesystem', s3: 's3', filesystem: 'filesystem', inmemory: 'inmemory' };

const ALL_OLD_KEYS = new Set<string>([
  ...Object.keys(SIMPLE), ...Object.keys(S3), ...MEANINGLESS_KEYS, 'storage_path', 'boto_host', 'boto_port',
  'boto_calling_format', 'storage_redirect', 'email_exceptions', 'mirroring',
]);

/** True when the key (top level of a flavor) is one the old registry had. */
export function isOldKey(key: string): boolean {
  return ALL_OLD_KEYS.has(key.toLowerCase());
}

/** Rewrites the old keys of a merged flavor (in place) into distribution's structure; returns the warnings. */
export function mapLegacyKeys(root: MapNode, source: string): string[] {
  const mapper = new LegacyMapper(root, source);
  mapper.run();
  return mapper.warnings;
}

class LegacyMapper {
  readonly warnings: string[] = [];
  constructor(
    private readonly root: MapNode,
    private readonly source: string,
  ) {}

  run(): void {
    // Mail keys also came grouped under `email_exceptions:` in the old config_sample.yml.
    const email = this.take('email_exceptions');
    if (email?.kind === 'map') for (const [k, v] of email.entries) if (!findEntry(this.root, k)) this.root.entries.set(k, v);
    // The old registry sent mail only with an smtp_host; its sample sets port and addresses regardless.
    if (isNull(findEntry(this.root, 'smtp_host')?.[1])) {
      for (const key of ['smtp_host', 'smtp_port', 'smtp_login', 'smtp_password', 'smtp_secure', 'from_addr', 'to_addr']) this.take(key);
    }
    this.mapMirroring();
    for (const key of MEANINGLESS_KEYS) {
      const node = this.take(key);
      if (!isNull(node)) this.warnings.push(`configuration key "${key}"${this.from(node)} of the old docker-registry has no meaning here and is ignored`);
    }
    for (const [oldKey, path] of Object.entries(SIMPLE)) this.move(oldKey, path);
    this.mapStorage();
  }

  private mapStorage(): void {
    const storage = findEntry(this.root, 'storage');
    let driver: string | undefined;
    if (storage !== undefined && storage[1].kind === 'scalar' && typeof storage[1].value === 'string') {
      const name = storage[1].value;
      driver = STORAGE_NAMES[name.toLowerCase()];
      if (driver === undefined) {
        throw invalidConfig('storage', `the old registry's storage "${name}"${this.from(storage[1])} is not available here (use local or s3, or distribution's storage section)`, { source: this.source });
      }
      this.root.entries.set(storage[0], Object.assign(mapNode([[driver, Object.assign(mapNode(), { origin: storage[1].origin })]]), { origin: storage[1].origin }));
    } else if (storage !== undefined && storage[1].kind === 'map') {
      driver = ['filesystem', 's3', 'inmemory'].find((d) => findEntry(storage[1] as MapNode, d) !== undefined);
    }
    const redirect = this.take('storage_redirect');
    if (!isNull(redirect) && redirect?.kind === 'scalar' && typeof redirect.value === 'boolean') {
      this.put('storage_redirect', ['storage', 'redirect', 'disable'], { ...scalarNode(!redirect.value), origin: redirect.origin });
    }
    const path = this.take('storage_path');
    if (!isNull(path) && path !== undefined) {
      if (driver === 'filesystem' || driver === 's3') this.put('storage_path', ['storage', driver, 'rootdirectory'], path);
      else this.warnings.push(`configuration key "storage_path"${this.from(path)} is ignored: no local or s3 storage is selected`);
    }
    const host = this.take('boto_host');
    const port = this.take('boto_port');
    const calling = this.take('boto_calling_format');
    const s3Keys = Object.keys(S3).map((k) => [k, this.take(k)] as const).filter(([, v]) => !isNull(v));
    if (driver !== 's3') {
      const given = [...s3Keys.map(([k]) => k), ...(isNull(host) ? [] : ['boto_host']), ...(isNull(port) ? [] : ['boto_port'])];
      if (given.length > 0) this.warnings.push(`configuration keys ${given.map((k) => `"${k}"`).join(', ')} are ignored: the storage is not s3`);
      return;
    }
    for (const [oldKey, node] of s3Keys) {
      // boto_bucket is the old second spelling of s3_bucket: s3_bucket wins.
      if (oldKey === 'boto_bucket' && s3Keys.some(([k]) => k === 's3_bucket')) continue;
      this.put(oldKey, ['storage', 's3', S3[oldKey] as string], node as ConfigNode);
    }
    if (!isNull(host) && host?.kind === 'scalar') {
      // No scheme: distribution's driver picks http or https from `secure` (s3_secure: false → http).
      const endpoint = isNull(port) || port?.kind !== 'scalar' ? host.text : `${host.text}:${port.text}`;
      this.put('boto_host', ['storage', 's3', 'regionendpoint'], { ...scalarNode(endpoint), origin: host.origin });
    } else if (!isNull(port)) this.warnings.push('configuration key "boto_port" is ignored without "boto_host"');
    if (!isNull(calling) && calling?.kind === 'scalar') {
      const pathStyle = /OrdinaryCallingFormat$/.test(calling.text) ? true : /SubdomainCallingFormat$/.test(calling.text) ? false : undefined;
      if (pathStyle === undefined) this.warnings.push(`configuration key "boto_calling_format" value is not understood and is ignored`);
      else this.put('boto_calling_format', ['storage', 's3', 'forcepathstyle'], { ...scalarNode(pathStyle), origin: calling.origin });
    }
  }

  /** `mirroring.source` is the upstream of a pull-through cache; its tag cache TTL (seconds) is our tag revalidation. */
  private mapMirroring(): void {
    const mirroring = findEntry(this.root, 'mirroring');
    if (mirroring === undefined || mirroring[1].kind !== 'map') return;
    const section = mirroring[1];
    const source = findEntry(section, 'source');
    const ttl = findEntry(section, 'tags_cache_ttl');
    const index = findEntry(section, 'source_index');
    this.root.entries.delete(mirroring[0]);
    if (index !== undefined && !isNull(index[1])) this.root.entries.set('mirroring.source_index', index[1]);
    if (source === undefined || isNull(source[1])) return;
    this.put('mirroring.source', ['proxy', 'remoteurl'], source[1]);
    if (ttl !== undefined && ttl[1].kind === 'scalar' && /^\d+$/.test(ttl[1].text)) {
      this.put('mirroring.tags_cache_ttl', ['proxy', 'tagrevalidate'], { ...scalarNode(`${ttl[1].text}s`), origin: ttl[1].origin });
    }
  }

  private move(oldKey: string, path: readonly string[]): void {
    const node = this.take(oldKey);
    if (!isNull(node) && node !== undefined) this.put(oldKey, path, node);
  }

  /** Removes `key` from the top level and returns its value. */
  private take(key: string): ConfigNode | undefined {
    const entry = findEntry(this.root, key);
    if (entry === undefined) return undefined;
    this.root.entries.delete(entry[0]);
    return entry[1];
  }

  /** Sets `path` unless the flavor already sets it in distribution's form, which then wins. */
  private put(oldKey: string, path: readonly string[], node: ConfigNode): void {
    let map = this.root;
    for (const [i, segment] of path.entries()) {
      const existing = findEntry(map, segment);
      if (i === path.length - 1) {
        if (existing !== undefined && !isNull(existing[1])) {
          this.warnings.push(`configuration key "${oldKey}" is ignored because "${path.join('.')}" is also set`);
          return;
        }
        node.origin = `${node.origin ?? 'file'}, old key ${oldKey}`;
        map.entries.set(existing?.[0] ?? segment, node);
        return;
      }
      if (existing === undefined || existing[1].kind !== 'map') {
        const child = mapNode();
        map.entries.set(existing?.[0] ?? segment, child);
        map = child;
      } else map = existing[1];
    }
  }

  private from(node: ConfigNode | undefined): string {
    return node?.origin === undefined ? '' : ` (${node.origin})`;
  }
}
