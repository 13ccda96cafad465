// The typed, validated configuration the server runs with: camelCase fields, every default applied.
// Built from distribution's config.yml format (plus REGISTRY_* variables) by parseConfig/loadConfig.
import type { StorageDriverName } from './config-keys.js';
import type { MapNode } from './config-tree.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug';
export type LogFormatter = 'json' | 'text' | 'logstash';

export interface LogConfig {
  level: LogLevel;
  formatter: LogFormatter;
  /** Static fields stamped on every log line. */
  fields: Record<string, unknown>;
  accessLog: { disabled: boolean };
}

/** Where to listen. `host` undefined (from ":5000") means every interface, IPv4 and IPv6. */
export type ListenAddress = { net: 'tcp'; host: string | undefined; port: number } | { net: 'unix'; path: string };

export type TlsClientAuth =
  | 'request-client-cert'
  | 'require-any-client-cert'
  | 'verify-client-cert-if-given'
  | 'require-and-verify-client-cert';

export interface TlsConfig {
  /** Path of the PEM certificate (chain). */
  certificate: string;
  /** Path of the PEM private key. */
  key: string;
  /** Paths of PEM CA bundles for client certificates; empty: no client authentication. */
  clientCas: string[];
  /** How client certificates are checked when clientCas is not empty. */
  clientAuth: TlsClientAuth;
  minimumTls: 'tls1.2' | 'tls1.3';
  /** TLS 1.2 cipher suites, in OpenSSL or Go (IANA) names as written; empty: Node's defaults. */
  cipherSuites: string[];
}

export interface DebugConfig {
  addr: string;
  listen: ListenAddress;
  prometheus: { enabled: boolean; path: string };
}

export interface HttpConfig {
  /** The listen address as written (or the default), for messages. */
  addr: string;
  /** True when neither the file nor REGISTRY_HTTP_ADDR gave an address. */
  addrIsDefault: boolean;
  net: 'tcp' | 'unix';
  listen: ListenAddress;
  /** URL path prefix before /v2/, with leading and trailing "/" ("" for none). */
  prefix: string;
  /** External base URL for Location headers, e.g. "https://registry.example.com:5000". */
  host: string | undefined;
  /** Key for signing upload state. Never log it. Undefined: the server generates one per process. */
  secret: string | undefined;
  relativeUrls: boolean;
  /** How long a graceful shutdown waits for requests in flight (distribution's draintimeout). */
  drainTimeoutMs: number;
  /** Our extension: processes serving the port (node:cluster workers); 1 is a single process. */
  workers: number;
  tls: TlsConfig | undefined;
  /** Extra response headers, name → values. */
  headers: Record<string, string[]>;
  debug: DebugConfig | undefined;
}

export interface UploadPurgingConfig {
  enabled: boolean;
  /** Uploads older than this are removed. */
  ageMs: number;
  intervalMs: number;
  /** Log what would be removed without removing it. */
  dryRun: boolean;
}

/** One `retention` rule: which repositories it governs and which tags and manifests it keeps. */
export interface RetentionPolicy {
  /** Position in the file: ties between equally specific globs go to the first. */
  index: number;
  repositories: string[];
  /** Tags matching one of these globs are always kept. */
  keepTags: string[];
  /** Tags beyond the N most recently pushed are deleted (unless a keep rule holds them). */
  keepLatest: number | undefined;
  /** Tags pushed longer ago than this are deleted (unless a keep rule holds them). */
  deleteOlderThanMs: number | undefined;
  /** Tags pushed within this age are kept. */
  keepPushedWithinMs: number | undefined;
  /** Tags whose manifest was pulled within this age are kept. */
  keepPulledWithinMs: number | undefined;
  /** Manifests no kept tag reaches are deleted once their revision is this old (undefined: kept). */
  untaggedAfterMs: number | undefined;
  /** Referrers (signatures, SBOMs) of kept manifests are kept, whatever the rules above say. */
  keepReferrers: boolean;
}

/** `storage.gc` and `retention`: the online collector and the policies it applies. */
export interface GcConfig {
  enabled: boolean;
  intervalMs: number;
  /** Nothing younger than this (blob data, manifest revision) is ever deleted. */
  gracePeriodMs: number;
  /** Manifests no tag reaches are deleted (after the grace period) in repositories no retention rule governs. */
  deleteUntagged: boolean;
  dryRun: boolean;
  /** How long a sweeper's lock outlives it when it dies without releasing it. */
  lockExpiryMs: number;
  /** `storage.gc.etcd`: take the sweep lock in etcd (a lease) instead of the store. */
  etcd: GcEtcdConfig | undefined;
  retention: RetentionPolicy[];
}

/** How to reach etcd (`storage.gc.etcd`, `proxy.etcd`). */
export interface EtcdConnection {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  username?: string;
  /** Never log it. */
  password?: string;
}

export interface GcEtcdConfig extends EtcdConnection {
  /** The lock's key; replicas sharing a store must use the same one. */
  key: string;
}

/** `proxy.etcd`: replicas on one store download each blob once between them (mirror/etcd-replica-flights.ts). */
export interface MirrorEtcdConfig extends EtcdConnection {
  /** Key prefix of the download claims; replicas sharing a store must use the same one. */
  prefix: string;
}

export interface StorageConfig {
  driver: StorageDriverName;
  /** True when no driver was configured and the filesystem default was used. */
  driverIsDefault: boolean;
  /** Present when driver is "filesystem". */
  filesystem: { rootDirectory: string; maxThreads: number } | undefined;
  /** Present when driver is "s3": distribution's S3 parameters as written (keys lower case). Holds credentials: never log it. */
  s3: Record<string, unknown> | undefined;
  delete: { enabled: boolean };
  redirect: { disable: boolean };
  maintenance: { uploadPurging: UploadPurgingConfig; readOnly: { enabled: boolean } };
  gc: GcConfig;
}

export interface UpstreamConfig {
  /** For logs and metrics: "docker.io", "ghcr.io", or the configured name. */
  name: string;
  /** scheme://host[:port], no path. */
  url: string;
  /** Registry host names this upstream stands for (lower case), matched against containerd's `?ns=`; empty = any host no other upstream claims. */
  hosts: string[];
  /** Local names under "<prefix>/" go to this upstream with the prefix taken off; "" = names matching no other prefix. */
  prefix: string;
  username?: string;
  /** Never log it. */
  password?: string;
}

export interface ProxyConfig {
  /** Empty: mirror mode is off. */
  upstreams: UpstreamConfig[];
  /** How often a cached tag is checked upstream (one HEAD); 0 = on every pull. */
  tagRevalidateMs: number;
  /** How long an upstream may take to start answering (headers); then it counts as down. */
  upstreamTimeoutMs: number;
  /** Blobs of a freshly fetched image manifest downloaded ahead of the client at once; 0 = none. */
  prefetch: number;
  /** Eviction limits (none: the cache only grows) and how often eviction runs. */
  cache: { maxBytes?: number; maxIdleMs?: number; intervalMs: number };
  /** Set: one download per blob across replicas, claimed in etcd. */
  etcd?: MirrorEtcdConfig;
}

/** Where mail goes (`mail`, or the old registry's smtp_* keys). Read now; sent by the lifecycle notifications. */
export interface MailConfig {
  /** SMTP server host. */
  host: string;
  port: number;
  username: string | undefined;
  /** Never log it. */
  password: string | undefined;
  /** TLS to the server (the old smtp_secure). */
  tls: boolean;
  /** Sender address; undefined: the sender decides. */
  from: string | undefined;
  /** Recipients (a comma-separated string is split). */
  to: string[];
  /** Least time between two alert mails (`mail.interval`). */
  intervalMs: number;
  /** Accept any server certificate (test servers only). */
  insecureSkipVerify: boolean;
  /** CA bundle for the server's certificate. */
  caFile: string | undefined;
}

export type NotificationAction = 'push' | 'pull' | 'delete' | 'mount';

/** One of `notifications.endpoints` (distribution's Endpoint), defaults applied; disabled ones are left out. */
export interface NotificationEndpointConfig {
  name: string;
  /** Where events are POSTed. May hold a password (https://user:pass@host): never log it unredacted. */
  url: string;
  /** Static headers on every request, name → values. Values are credentials: never log them. */
  headers: Record<string, string[]>;
  timeoutMs: number;
  /** Consecutive failures before each retry waits `backoffMs`. */
  threshold: number;
  backoffMs: number;
  /** `ignoredmediatypes` and `ignore.mediatypes` together: events whose target has one are not sent. */
  ignoredMediaTypes: string[];
  /** `ignore.actions`: events with one of these actions are not sent. */
  ignoredActions: string[];
}

export interface NotificationsConfig {
  /** Enabled endpoints; empty when none (then no event is built at all). */
  endpoints: NotificationEndpointConfig[];
  /** `notifications.queuedirectory` (ours): the on-disk delivery queues; default `<filesystem root>/notifications`. */
  queueDirectory: string | undefined;
  /** `notifications.events.includereferences`: manifest events list the manifest's references. */
  includeReferences: boolean;
}

/** One rule of `auth.access`: repositories by glob, whom it applies to, what it grants. */
export interface AccessRule {
  /** Globs over repository names: `*` one path segment, `**` any number of segments. */
  repositories: string[];
  /** User names; "*" is every authenticated user. */
  users: string[];
  groups: string[];
  /** Applies to callers without credentials. */
  anonymous: boolean;
  /** Action words as written (pull, push, overwrite, delete, admin, *), validated. */
  actions: string[];
  /** Position in the file (0-based): the last tie-breaker. */
  index: number;
}

export interface BuiltinTokenServiceConfig {
  /** Lifetime of an access token, in seconds (`expires_in`). */
  expirationS: number;
  /** Lifetime of a refresh token (docker login's identity token), in ms. */
  refreshExpirationMs: number;
  /** PEM file with the signing key; undefined: keys are generated and kept in the store. */
  signingKey: string | undefined;
  /** How often a stored key is replaced by a new one (the old one verifies until its tokens expire); 0: never. */
  rotationMs: number;
}

export interface TokenAuthConfig {
  /** Where clients get tokens; undefined with the built-in service: this registry's /auth/token. */
  realm: string | undefined;
  /** The `service` (JWT audience) tokens must name. */
  service: string;
  /** The `iss` tokens must carry. */
  issuer: string;
  /** PEM bundle of certificates trusted to sign tokens (an external token server). */
  rootCertBundle: string | undefined;
  /** A JWKS file of keys trusted to sign tokens (an external token server). */
  jwks: string | undefined;
  /** Our own token service; undefined: tokens come from an external server only. */
  builtin: BuiltinTokenServiceConfig | undefined;
}

export interface RateLimitConfig {
  /** Failed logins one client address may make in a burst before 429. */
  addressBurst: number;
  /** Failed logins one user name may take in a burst (from any address) before 429. */
  userBurst: number;
  /** One more failure is allowed every this many ms (the bucket refills). */
  refillMs: number;
}

export interface AuthConfig {
  htpasswd: { realm: string; path: string; bcryptCost: number } | undefined;
  token: TokenAuthConfig | undefined;
  /** Group name → member user names. */
  groups: Record<string, string[]>;
  /**
   * `auth.access`; undefined when the section is absent: then every authenticated user may pull, push,
   * overwrite and delete everywhere (distribution's htpasswd behaviour) and anonymous callers nothing.
   */
  access: AccessRule[] | undefined;
  rateLimit: RateLimitConfig;
}

/** `ui`: the web UI served at <http.prefix>/ui/. */
export interface UiConfig {
  enabled: boolean;
  /** How long a login to the UI lasts. */
  sessionTtlMs: number;
  /** Where the status page reads the registries the sidekicks announce. */
  discovery?: UiDiscoveryConfig;
}

export interface UiDiscoveryConfig extends EtcdConnection {
  /** The sidekicks' key prefix (default /services/docker-registry/). */
  prefix: string;
}

export interface RegistryConfig {
  version: '0.1';
  log: LogConfig;
  storage: StorageConfig;
  http: HttpConfig;
  /** Most entries /v2/_catalog returns in one page. */
  catalog: { maxEntries: number };
  /** Most tags /v2/<name>/tags/list returns in one page. */
  tags: { maxTags: number };
  proxy: ProxyConfig;
  /** Undefined when no `mail` section (nor old smtp_* keys) is configured. */
  mail: MailConfig | undefined;
  /** Undefined when no `auth` section is configured: an open registry. */
  auth: AuthConfig | undefined;
  notifications: NotificationsConfig;
  ui: UiConfig;
  /**
   * Dotted paths (as written) of distribution keys present in the configuration that we do not support
   * yet and ignore, e.g. ["auth", "storage.cache"]: each also produced a warning. Lets the server refuse
   * to start on one it must not ignore.
   */
  ignoredKeys: string[];
  /** The whole merged tree (file + environment) as plain values, including sections not supported yet. Holds secrets: never log it. */
  raw: Record<string, unknown>;
}

export interface LoadedConfig {
  config: RegistryConfig;
  /** Things the operator should see at startup (ignored and unknown keys, deprecations); never secret values. */
  warnings: string[];
  /** The file path read, or "defaults" when no file was. */
  source: string;
  /** The flavor read when the file is a flavors file (SETTINGS_FLAVOR, default dev). */
  flavor: string | undefined;
  /** Dotted paths of keys that are in no known structure (typos): `config check` and `serve --strict` refuse them. */
  unknownKeys: string[];
  /** The merged tree (flavor, file, REGISTRY_* variables) with each value's origin, for `config check`. Holds secrets. */
  tree: MapNode;
}
