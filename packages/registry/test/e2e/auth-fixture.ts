// Our registry as a process with auth on: an htpasswd file made by the real `htpasswd -B`, the access
// policy of "two kinds of images" (long-lived CI images, short-lived cache images), Basic or the built-in
// token service. Used by the policy table, the attack suite and the real-client suites.
import { join } from 'node:path';
import { startRegistryProcess, tempDir, writeHtpasswdFile, type Credentials, type JsonObject, type RegistryProcess } from '@private-registry/testbed';

export const USERS = {
  ci: { user: 'ci', password: 'ci-Secret-1' },
  cache: { user: 'cache', password: 'cache-Secret-2' },
  reader: { user: 'reader', password: 'reader-Secret-3' },
  admin: { user: 'admin', password: 'admin-Secret-4' },
} as const satisfies Record<string, Credentials>;

/** ci may push and pull ci/** (tags immutable), cache everything in cache/**, readers pull both, admin all. */
export const TWO_KINDS_POLICY = {
  groups: { readers: ['reader'] },
  access: [
    { repository: ['ci/**'], users: ['ci'], actions: ['pull', 'push'] },
    { repository: ['cache/**'], users: ['cache'], actions: ['pull', 'push', 'overwrite', 'delete'] },
    { repository: ['ci/**', 'cache/**'], groups: ['readers'], actions: ['pull'] },
    { repository: ['**'], users: ['admin'], actions: ['admin'] },
  ],
} satisfies JsonObject;

export type AuthMode = 'basic' | 'bearer';

export interface AuthRegistry extends RegistryProcess {
  htpasswdPath: string;
  mode: AuthMode;
}

export interface AuthRegistryOptions {
  mode: AuthMode;
  users?: readonly Credentials[];
  /** Merged into `auth` after the defaults (access policy, ratelimit...). */
  auth?: JsonObject;
  /** Merged over the whole config. */
  config?: JsonObject;
  env?: Record<string, string | undefined>;
  /** Storage root (a restart on the same data); a fresh one unless told. */
  rootDirectory?: string;
}

export async function startAuthRegistry(options: AuthRegistryOptions): Promise<AuthRegistry> {
  const work = await tempDir('auth-registry');
  const htpasswdPath = join(work.path, 'htpasswd');
  await writeHtpasswdFile(htpasswdPath, options.users ?? Object.values(USERS));
  const auth: JsonObject = {
    htpasswd: { realm: 'private-registry-test', path: htpasswdPath },
    ...(options.mode === 'bearer' ? { token: { service: 'private-registry-test', issuer: 'private-registry-test', builtin: { expiration: '5m' } } } : {}),
    ...TWO_KINDS_POLICY,
    ...(options.auth ?? {}),
  };
  const registry = await startRegistryProcess({
    config: { ...(options.config ?? {}), auth },
    ...(options.env ? { env: options.env } : {}),
    ...(options.rootDirectory ? { rootDirectory: options.rootDirectory } : {}),
  });
  return { ...registry, htpasswdPath, mode: options.mode };
}
