// The table of distribution's configuration keys and how far we support each: it drives the
// REGISTRY_* environment rule (which follows the known structure, as distribution's does), the
// "unknown key" and "not supported yet" warnings, and the secret test for messages.
import { mapNode, type ConfigNode } from './config-tree.js';

interface KeySpecCommon {
  /** Known to distribution, not supported here yet: warned about and kept only in `raw`. */
  ignored?: true;
  /** The env-path segment when Go's field name differs from the YAML key (notifications.events is EVENTCONFIG). */
  env?: string;
  /** A plain string here names a type: `storage: inmemory` means `storage: {inmemory: {}}` (storage, auth). */
  shorthand?: true;
  /** What ignoring this key means for the operator, appended to its warning. */
  note?: string;
}

export type KeySpec = KeySpecCommon &
  (
    | /** Fixed keys, matched case-insensitively; `otherKeys` makes it open like a Go map (env creates unlisted keys). */
    { kind: 'struct'; fields: Readonly<Record<string, KeySpec>>; otherKeys?: KeySpec }
    | /** Free keys (headers, log fields), each value described by `values`. */
    { kind: 'map'; values: KeySpec }
    | { kind: 'list'; items: KeySpec }
    | { kind: 'scalar' }
    | /** Anything: driver parameters and ignored sections (distribution's `Parameters`, map[string]any). */
    { kind: 'any' }
  );

const scalar: KeySpec = { kind: 'scalar' };
const anything: KeySpec = { kind: 'any' };
const ignored: KeySpec = { kind: 'any', ignored: true };
const ignoredScalar: KeySpec = { kind: 'scalar', ignored: true };
const struct = (fields: Record<string, KeySpec>): KeySpec => ({ kind: 'struct', fields });

/** Storage drivers we run. */
export const SUPPORTED_DRIVERS = ['filesystem', 'inmemory', 's3'] as const;
export type StorageDriverName = (typeof SUPPORTED_DRIVERS)[number];
/** Drivers distribution has (or had) that we do not: selecting one stops startup. */
export const FOREIGN_DRIVERS = ['azure', 'gcs', 'swift', 'oss'] as const;
/** Keys under `storage` that configure the storage layer rather than select a driver (distribution's list). */
export const STORAGE_SECTIONS = ['maintenance', 'cache', 'delete', 'redirect', 'tag', 'gc'] as const;

/** The TLS and credential keys of an etcd section (storage.gc.etcd, proxy.etcd). */
const ETCD_CONNECTION = { cafile: scalar, certfile: scalar, keyfile: scalar, username: scalar, password: scalar };

const storage: KeySpec = {
  kind: 'struct',
  fields: {
    filesystem: struct({ rootdirectory: scalar, maxthreads: scalar }),
    inmemory: struct({}),
    s3: anything,
    ...Object.fromEntries(FOREIGN_DRIVERS.map((d) => [d, anything])),
    delete: struct({ enabled: scalar }),
    redirect: struct({ disable: scalar }),
    maintenance: struct({
      uploadpurging: struct({ enabled: scalar, age: scalar, interval: scalar, dryrun: scalar }),
      readonly: struct({ enabled: scalar }),
    }),
    // Ours: the online garbage collector (retention policies are the top-level `retention` list).
    gc: struct({
      enabled: scalar,
      interval: scalar,
      graceperiod: scalar,
      deleteuntagged: scalar,
      dryrun: scalar,
      lockexpiry: scalar,
      etcd: struct({ endpoints: { kind: 'list', items: scalar }, key: scalar, ...ETCD_CONNECTION }),
    }),
    cache: ignored,
    tag: ignored,
  },
  // Distribution's Storage is map[string]Parameters: REGISTRY_STORAGE_<ANYTHING>_... creates that key.
  otherKeys: anything,
  shorthand: true,
};

const http: KeySpec = struct({
  addr: scalar,
  net: scalar,
  host: scalar,
  prefix: scalar,
  secret: scalar,
  relativeurls: scalar,
  draintimeout: scalar,
  workers: scalar,
  tls: struct({
    certificate: scalar,
    key: scalar,
    clientcas: { kind: 'list', items: scalar },
    clientauth: scalar,
    minimumtls: scalar,
    ciphersuites: { kind: 'list', items: scalar },
    letsencrypt: ignored,
  }),
  headers: { kind: 'map', values: { kind: 'list', items: scalar } },
  debug: struct({ addr: scalar, prometheus: struct({ enabled: scalar, path: scalar }) }),
  http2: ignored,
  h2c: ignored,
});

const log: KeySpec = struct({
  level: scalar,
  formatter: scalar,
  fields: { kind: 'map', values: anything },
  accesslog: struct({ disabled: scalar }),
  hooks: ignored,
  reportcaller: ignoredScalar,
});

// distribution's `auth` (htpasswd, token; silly is a test-only scheme we refuse) plus ours: the built-in
// token service (token.builtin), groups, the access policy and the failed-login rate limit.
const auth: KeySpec = {
  kind: 'struct',
  shorthand: true,
  fields: {
    htpasswd: struct({ realm: scalar, path: scalar, cost: scalar }),
    token: struct({
      realm: scalar,
      service: scalar,
      issuer: scalar,
      rootcertbundle: scalar,
      jwks: scalar,
      autoredirect: ignoredScalar,
      signingalgorithms: { kind: 'list', items: scalar, ignored: true },
      builtin: struct({ expiration: scalar, refreshexpiration: scalar, signingkey: scalar, rotation: scalar }),
    }),
    silly: ignored,
    none: ignored,
    groups: { kind: 'map', values: { kind: 'list', items: scalar } },
    access: {
      kind: 'list',
      items: struct({
        repository: { kind: 'list', items: scalar },
        users: { kind: 'list', items: scalar },
        groups: { kind: 'list', items: scalar },
        anonymous: scalar,
        actions: { kind: 'list', items: scalar },
      }),
    },
    ratelimit: struct({ addressburst: scalar, userburst: scalar, refill: scalar }),
  },
};

/** The root of distribution's format (3.x, plus keys 2.x had: compatibility, reporting). */
export const CONFIG_KEYS: KeySpec = struct({
  version: scalar,
  log,
  // Deprecated in distribution, still honoured there (and here) when log.level is not set.
  loglevel: scalar,
  storage,
  http,
  catalog: struct({ maxentries: scalar }),
  tags: struct({ maxtags: scalar }),
  // Ours: the web UI.
  ui: struct({ enabled: scalar, sessionttl: scalar, discovery: struct({ endpoints: { kind: 'list', items: scalar }, prefix: scalar, ...ETCD_CONNECTION }) }),
  auth,
  middleware: ignored,
  // distribution's webhook endpoints, plus ours: queuedirectory (the durable delivery queues).
  notifications: struct({
    events: { ...struct({ includereferences: scalar }), env: 'EVENTCONFIG' },
    endpoints: {
      kind: 'list',
      items: struct({
        name: scalar,
        disabled: scalar,
        url: scalar,
        headers: { kind: 'map', values: { kind: 'list', items: scalar } },
        timeout: scalar,
        threshold: scalar,
        backoff: scalar,
        ignoredmediatypes: { kind: 'list', items: scalar },
        ignore: struct({ mediatypes: { kind: 'list', items: scalar }, actions: { kind: 'list', items: scalar } }),
      }),
    },
    queuedirectory: scalar,
  }),
  redis: ignored,
  health: ignored,
  proxy: struct({
    remoteurl: scalar,
    username: scalar,
    password: scalar,
    ttl: scalar,
    tagrevalidate: scalar,
    timeout: scalar,
    prefetch: scalar,
    upstreams: {
      kind: 'list',
      items: struct({ name: scalar, url: scalar, hosts: { kind: 'list', items: scalar }, prefix: scalar, username: scalar, password: scalar }),
    },
    cache: struct({ maxsize: scalar, maxidle: scalar, interval: scalar }),
    // Ours: replicas claim blob downloads in etcd.
    etcd: struct({ endpoints: { kind: 'list', items: scalar }, prefix: scalar, ...ETCD_CONNECTION }),
  }),
  // Ours, not distribution's: where alert mails go (the old registry's smtp_* keys map here); alerts/alerter.ts sends them.
  mail: struct({ host: scalar, port: scalar, username: scalar, password: scalar, tls: scalar, from: scalar, to: { kind: 'list', items: scalar }, interval: scalar, insecureskipverify: scalar, cafile: scalar }),
  // Ours: tag retention policies per repository glob, applied by the garbage collector.
  retention: {
    kind: 'list',
    items: struct({
      repository: { kind: 'list', items: scalar },
      keeptags: { kind: 'list', items: scalar },
      keeplatest: scalar,
      deleteolderthan: scalar,
      keeppushedwithin: scalar,
      keeppulledwithin: scalar,
      untaggedafter: scalar,
      keepreferrers: scalar,
    }),
  },
  validation: ignored,
  policy: ignored,
  compatibility: ignored,
  reporting: ignored,
});

/** The spec of a struct's field, matched case-insensitively (`undefined` for an unknown key). */
export function fieldSpec(spec: KeySpec, key: string): KeySpec | undefined {
  if (spec.kind !== 'struct') return undefined;
  const lower = key.toLowerCase();
  return Object.hasOwn(spec.fields, lower) ? spec.fields[lower] : undefined;
}

// Key names whose values are credentials anywhere in the tree (s3 secretkey, proxy password, azure
// accountkey, token privatekey, bugsnag apikey...). Over-matching (tls "key", a file path) costs nothing.
const SECRET_KEY = /secret|password|passwd|token|credential|privatekey|accountkey|apikey|licensekey|accesskey|authorization|cookie|^key$/i;

// Sections whose names match SECRET_KEY but hold no secret themselves (auth.token.realm is a URL,
// auth.htpasswd.path a file name): the keys inside them are judged by their own names.
const SECRET_LOOKING_SECTIONS = new Set(['auth.htpasswd', 'auth.token']);

// Webhook headers carry the receiver's credentials (Authorization, X-Api-Key...) under any name.
const NOTIFICATION_HEADERS = /^notifications\.endpoints(\.\d+|\[\d+\])\.headers\./i;

/** True when a dotted key path names a secret, whose value no message may show. */
export function isSecretKey(path: string): boolean {
  if (NOTIFICATION_HEADERS.test(path)) return true;
  const segments = path.split('.');
  return segments.some((segment, i) => SECRET_KEY.test(segment) && !SECRET_LOOKING_SECTIONS.has(segments.slice(0, i + 1).join('.').toLowerCase()));
}

/** Expands the type shorthand (`storage: s3` → `storage: {s3: {}}`) where the spec allows it, as distribution's UnmarshalYAML does. */
export function expandShorthand(node: ConfigNode, spec: KeySpec): ConfigNode {
  if (spec.shorthand && node.kind === 'scalar' && typeof node.value === 'string' && node.text !== '') {
    return mapNode([[node.text, mapNode()]]);
  }
  return node;
}
