// `ui`: the web UI at <http.prefix>/ui/ (ours; distribution has none). On unless `ui.enabled: false`;
// `ui.discovery` names the etcd the sidekicks announce registries in, for the status page.
import { DEFAULT_DISCOVERY_PREFIX, normalizePrefix } from '@private-registry/core';
import { readEtcdConnection } from './etcd-section.js';
import type { ConfigSection } from './config-section.js';
import type { UiConfig } from './registry-config.js';

/** How long a UI login lasts unless `ui.sessionttl` says otherwise. */
export const DEFAULT_UI_SESSION_TTL_MS = 8 * 3600_000;
const MIN_SESSION_TTL_MS = 60_000;
const MAX_SESSION_TTL_MS = 30 * 24 * 3600_000;

export function readUi(root: ConfigSection): UiConfig {
  const ui = root.section('ui');
  const sessionTtlMs = ui.duration('sessionttl') ?? DEFAULT_UI_SESSION_TTL_MS;
  if (sessionTtlMs < MIN_SESSION_TTL_MS || sessionTtlMs > MAX_SESSION_TTL_MS) ui.fail('sessionttl', 'must be between 1m and 720h');
  const discovery = ui.section('discovery');
  return {
    enabled: ui.bool('enabled') ?? true,
    sessionTtlMs,
    ...(discovery.present ? { discovery: { ...readEtcdConnection(discovery, 'ui.discovery'), prefix: readPrefix(discovery) } } : {}),
  };
}

/** The sidekicks' key prefix: absolute, with a trailing slash added. */
function readPrefix(discovery: ConfigSection): string {
  const prefix = discovery.string('prefix') || DEFAULT_DISCOVERY_PREFIX;
  if (!prefix.trim().startsWith('/')) discovery.fail('prefix', `${JSON.stringify(prefix)} must start with "/" (the sidekicks' --prefix, e.g. ${DEFAULT_DISCOVERY_PREFIX})`);
  return normalizePrefix(prefix);
}
