// Our registry as an operator runs it (the built CLI, a config file or none, REGISTRY_* variables, signals),
// plus what the interop, TLS and crash suites share: where a blob lives on disk and a byte-exact
// snapshot of everything a registry serves, to compare two registries reading one directory.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CLI_PATH,
  type CommandResult,
  type ManagedProcess,
  type RegistryProcess,
  type RegistryProcessOptions,
  runCommand,
  startProcess,
  startRegistryProcess,
  tempDir,
  withoutRegistryEnv,
} from '@private-registry/testbed';
import { RegistryApiClient } from '../api/api-client.js';

export { CLI_PATH, withoutRegistryEnv };

/** Runs `private-registry ARGS...` to completion (for startup failures, --version, --help). */
export function runCli(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [CLI_PATH, ...args], {
    env: withoutRegistryEnv(options.env),
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
}

/**
 * Starts `private-registry ARGS...` as a long-running process in `cwd` (a fresh temp dir unless told),
 * its stdout and stderr in `<cwd>/registry.log` unless `logFile` says otherwise; stopped by cleanupTestbed.
 */
export async function spawnCli(
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; logFile?: string } = {},
): Promise<ManagedProcess> {
  const cwd = options.cwd ?? (await tempDir('our-registry-cwd')).path;
  return startProcess({
    command: process.execPath,
    args: [CLI_PATH, ...args],
    logFile: options.logFile ?? join(cwd, 'registry.log'),
    env: withoutRegistryEnv(options.env),
    cwd,
    name: 'private-registry',
  });
}

export type OurRegistryOptions = RegistryProcessOptions;

export interface OurRegistry extends RegistryProcess {
  readonly client: RegistryApiClient;
}

export async function startOurRegistry(options: OurRegistryOptions = {}): Promise<OurRegistry> {
  const registry = await startRegistryProcess(options);
  return { ...registry, client: new RegistryApiClient(registry.url) };
}

export function sha256Of(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Where distribution's layout keeps a blob's bytes: `<root>/docker/registry/v2/blobs/sha256/ab/abcd.../data`. */
export function blobDataPath(root: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  return join(root, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
}

export function uploadDirPath(root: string, repository: string, uuid: string): string {
  return join(root, 'docker/registry/v2/repositories', repository, '_uploads', uuid);
}

export function blobExistsOnDisk(root: string, digest: string): boolean {
  return existsSync(join(blobDataPath(root, digest), '..'));
}

// Snapshots --------------------------------------------------------------------------------------------

export interface ManifestView {
  contentType: string | null;
  digestHeader: string | null;
  /** sha256 of the body, which must equal the digest. */
  bodyDigest: string;
  body: string;
}

export interface BlobView {
  size: number;
  bodyDigest: string;
}

/** What a registry serves for a set of repositories, as plain data that deep-equals across registries. */
export interface RegistrySnapshot {
  catalog: string[];
  tags: Record<string, string[]>;
  /** `repo:tag` and `repo@digest` → the manifest served for it. */
  manifests: Record<string, ManifestView>;
  /** `repo@digest` → the blob served for it. */
  blobs: Record<string, BlobView>;
}

interface ManifestJson {
  config?: { digest: string };
  layers?: { digest: string }[];
  manifests?: { digest: string }[];
}

/** Walks the catalog, every tag, every manifest (children of indexes too) and every blob they reference. */
export async function snapshotRegistry(client: RegistryApiClient): Promise<RegistrySnapshot> {
  const catalogResponse = await client.get('/v2/_catalog');
  if (catalogResponse.status !== 200) throw new Error(`GET /v2/_catalog: ${catalogResponse.status} ${catalogResponse.text}`);
  const catalog = catalogResponse.json<{ repositories: string[] }>().repositories;
  const snapshot: RegistrySnapshot = { catalog, tags: {}, manifests: {}, blobs: {} };
  for (const repository of catalog) {
    const tags = [...(await client.tagsOf(repository))].sort();
    snapshot.tags[repository] = tags;
    const pending: string[] = [];
    for (const tag of tags) {
      const view = await manifestView(client, repository, tag);
      snapshot.manifests[`${repository}:${tag}`] = view;
      if (view.digestHeader !== null) pending.push(view.digestHeader);
    }
    for (let digest = pending.shift(); digest !== undefined; digest = pending.shift()) {
      const key = `${repository}@${digest}`;
      if (snapshot.manifests[key] !== undefined) continue;
      const view = await manifestView(client, repository, digest);
      snapshot.manifests[key] = view;
      const json = JSON.parse(view.body) as ManifestJson;
      for (const child of json.manifests ?? []) pending.push(child.digest);
      for (const blob of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) {
        const blobKey = `${repository}@${blob.digest}`;
        if (snapshot.blobs[blobKey] !== undefined) continue;
        const response = await client.get(`/v2/${repository}/blobs/${blob.digest}`);
        if (response.status !== 200) throw new Error(`GET blob ${blobKey}: ${response.status} ${response.text}`);
        snapshot.blobs[blobKey] = { size: response.body.length, bodyDigest: sha256Of(response.body) };
      }
    }
  }
  return snapshot;
}

async function manifestView(client: RegistryApiClient, repository: string, reference: string): Promise<ManifestView> {
  const response = await client.fetchManifest(repository, reference);
  if (response.status !== 200) throw new Error(`GET manifest ${repository}/${reference}: ${response.status} ${response.text}`);
  return {
    contentType: response.header('content-type'),
    digestHeader: response.header('docker-content-digest'),
    bodyDigest: sha256Of(response.body),
    body: response.text,
  };
}

/** `docker-registry garbage-collect --dry-run` (the reference's GC) over a storage root: marks, deletes nothing. */
export async function garbageCollectDryRun(root: string): Promise<CommandResult> {
  const config = join((await tempDir('reference-gc')).path, 'config.yml');
  await writeFile(config, JSON.stringify({ version: '0.1', log: { level: 'info' }, storage: { filesystem: { rootdirectory: root } } }));
  return runCommand('docker-registry', ['garbage-collect', '--dry-run', config], { timeoutMs: 60_000, env: withoutRegistryEnv() });
}
