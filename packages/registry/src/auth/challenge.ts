// The WWW-Authenticate header of a 401: `Basic realm=...` with htpasswd alone, `Bearer realm=...,service=...,
// scope=...` with token auth, so docker, podman, skopeo and containerd find their way by themselves.

export type ChallengeScheme = { kind: 'basic'; realm: string } | { kind: 'bearer'; realm: string; service: string };

/** A scope as the Docker token specification writes it: `repository:ci/app:pull,push`. */
export function repositoryScope(name: string, actions: readonly string[]): string {
  return `repository:${name}:${actions.join(',')}`;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * @param scope what the request needs (bearer only; none for /v2/ itself)
 * @param error RFC 6750's `insufficient_scope` when a valid token lacked the scope
 */
export function challengeHeader(scheme: ChallengeScheme, scope?: string, error?: 'insufficient_scope' | 'invalid_token'): string {
  if (scheme.kind === 'basic') return `Basic realm=${quoted(scheme.realm)}, charset="UTF-8"`;
  const parts = [`realm=${quoted(scheme.realm)}`, `service=${quoted(scheme.service)}`];
  if (scope !== undefined) parts.push(`scope=${quoted(scope)}`);
  if (error !== undefined) parts.push(`error=${quoted(error)}`);
  return `Bearer ${parts.join(',')}`;
}
