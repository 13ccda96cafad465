// Reads `proxy` into ProxyConfig: distribution's single upstream (`remoteurl`, `username`, `password`, `ttl`)
// and our list of upstreams (`upstreams: [{name, url, hosts, prefix, username, password}]`), the tag
// revalidation interval, the cache limits and the etcd where replicas claim downloads. No upstream configured: mirror mode is off.
import { DEFAULT_PROXY_ETCD_PREFIX, DEFAULT_PROXY_EVICTION_INTERVAL_MS, DEFAULT_PROXY_PREFETCH, DEFAULT_PROXY_UPSTREAM_TIMEOUT_MS, DEFAULT_PROXY_TAG_REVALIDATE_MS, DOCKER_HUB_HOSTS, DOCKER_HUB_NAME } from './config-defaults.js';
import type { ConfigSection } from './config-section.js';
import { readEtcdConnection } from './etcd-section.js';
import type { ProxyConfig, UpstreamConfig } from './registry-config.js';

export function readProxy(root: ConfigSection): ProxyConfig {
  const proxy = root.section('proxy');
  const upstreams: UpstreamConfig[] = [];
  const remoteUrl = proxy.string('remoteurl');
  if (remoteUrl !== undefined && remoteUrl !== '') upstreams.push(readUpstream(proxy, 'remoteurl', undefined, '', true));
  for (const section of proxy.sectionList('upstreams')) upstreams.push(readUpstream(section, 'url', section.string('name'), section.string('prefix'), false));

  checkDistinct(proxy, upstreams);
  const cache = proxy.section('cache');
  const ttl = proxy.duration('ttl');
  const maxIdle = cache.duration('maxidle');
  const config: ProxyConfig = {
    upstreams,
    tagRevalidateMs: proxy.duration('tagrevalidate') ?? DEFAULT_PROXY_TAG_REVALIDATE_MS,
    upstreamTimeoutMs: proxy.duration('timeout') ?? DEFAULT_PROXY_UPSTREAM_TIMEOUT_MS,
    prefetch: proxy.integer('prefetch') ?? DEFAULT_PROXY_PREFETCH,
    cache: { intervalMs: cache.duration('interval') ?? DEFAULT_PROXY_EVICTION_INTERVAL_MS },
  };
  if (config.upstreamTimeoutMs <= 0) proxy.fail('timeout', 'must be greater than zero');
  if (config.prefetch < 0 || config.prefetch > 64) proxy.fail('prefetch', 'must be between 0 (off) and 64 downloads at once');
  if (config.cache.intervalMs <= 0) cache.fail('interval', 'must be greater than zero');
  const maxBytes = cache.byteSize('maxsize');
  if (maxBytes !== undefined && maxBytes > 0) config.cache.maxBytes = maxBytes;
  // distribution's ttl expires cached content; here it is the idle age (since the last pull) unless cache.maxidle says otherwise.
  const idle = maxIdle ?? ttl;
  if (idle !== undefined && idle > 0) config.cache.maxIdleMs = idle;
  const etcd = proxy.section('etcd');
  if (etcd.present) {
    const prefix = etcd.string('prefix') ?? DEFAULT_PROXY_ETCD_PREFIX;
    if (!prefix.startsWith('/')) etcd.fail('prefix', `${JSON.stringify(prefix)} must start with "/"`);
    config.etcd = { ...readEtcdConnection(etcd, 'proxy.etcd'), prefix: prefix.endsWith('/') ? prefix : `${prefix}/` };
  }
  return config;
}

/** `anyHost`: distribution's single `remoteurl` mirrors whatever registry a client names (`?ns=`), as distribution does. */
function readUpstream(section: ConfigSection, urlKey: string, name: string | undefined, prefix: string | undefined, anyHost: boolean): UpstreamConfig {
  const text = section.string(urlKey) ?? '';
  if (text === '') section.fail(urlKey, 'is required: the upstream registry URL, e.g. https://registry-1.docker.io');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return section.fail(urlKey, `${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') section.fail(urlKey, `${JSON.stringify(text)} must be an http or https URL`);
  if (url.pathname !== '/' && url.pathname !== '') section.fail(urlKey, `${JSON.stringify(text)} must not have a path (the registry API is at /v2/ on it)`);
  const host = url.host.toLowerCase();
  const isDockerHub = DOCKER_HUB_HOSTS.includes(url.hostname.toLowerCase());
  const hosts = section.stringList('hosts')?.map((h) => h.toLowerCase()) ?? (anyHost ? [] : isDockerHub ? [...DOCKER_HUB_HOSTS] : [host]);
  const upstream: UpstreamConfig = {
    name: name ?? (isDockerHub ? DOCKER_HUB_NAME : host),
    url: `${url.protocol}//${url.host}`,
    hosts,
    prefix: normalizePrefix(section, prefix ?? ''),
  };
  const username = section.string('username');
  const password = section.string('password');
  if ((username === undefined || username === '') !== (password === undefined || password === '')) {
    section.fail(username ? 'password' : 'username', 'username and password go together: give both or neither');
  }
  if (username) upstream.username = username;
  if (password) upstream.password = password;
  return upstream;
}

/** "ghcr.io/" and "/ghcr.io" are "ghcr.io"; a prefix is one or more repository path components. */
function normalizePrefix(section: ConfigSection, prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed !== '' && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(trimmed)) {
    section.fail('prefix', `${JSON.stringify(prefix)} is not a repository path prefix (lower-case components separated by "/")`);
  }
  return trimmed;
}

function checkDistinct(proxy: ConfigSection, upstreams: UpstreamConfig[]): void {
  const seen = new Map<string, string>();
  for (const upstream of upstreams) {
    const earlier = seen.get(upstream.prefix);
    if (earlier !== undefined) {
      proxy.fail('upstreams', `"${earlier}" and "${upstream.name}" both serve ${upstream.prefix === '' ? 'names without a prefix' : `the prefix "${upstream.prefix}"`}`);
    }
    seen.set(upstream.prefix, upstream.name);
  }
  const names = upstreams.map((u) => u.name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) proxy.fail('upstreams', `two upstreams are named "${duplicate}"`);
}
