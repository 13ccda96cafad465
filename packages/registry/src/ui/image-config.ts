// An image's configuration blob (the OCI image config / Docker container config), read for display: what runs,
// with which environment, who made each layer. Only fields of the expected type are kept; the rest is ignored.
import type { Digest } from '../oci/digest.js';
import type { ParsedManifest } from '../oci/manifest.js';
import { pathFor } from '../storage/path-spec.js';
import type { StorageDriver } from '../storage/storage-driver.js';
import { isPathNotFound } from '../storage/storage-errors.js';

/** Config media types of a runnable image (anything else in `config` makes an artifact). */
export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);

/** What a manifest is when it is not a runnable image: its artifactType, else a config of another media type. */
export function artifactTypeOf(parsed: ParsedManifest): string | undefined {
  const config = parsed.blobs[0];
  return parsed.artifactType ?? (config === undefined || IMAGE_CONFIG_TYPES.has(config.mediaType) ? undefined : config.mediaType);
}

/** Configs past this are not parsed for display (a real one is a few KiB; history of huge images stays far below). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  comment?: string;
  emptyLayer: boolean;
}

export interface ImageConfig {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  author?: string;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  exposedPorts?: string[];
  labels?: Record<string, string>;
  user?: string;
  workingDir?: string;
  volumes?: string[];
  stopSignal?: string;
  history: HistoryEntry[];
}

/** The config blob `digest`, parsed; undefined when it is missing, too large or not an image config. */
export async function readImageConfig(driver: StorageDriver, digest: Digest): Promise<ImageConfig | undefined> {
  const path = pathFor({ kind: 'blobData', digest });
  let content: Buffer;
  try {
    const info = await driver.stat(path);
    if (info.size > MAX_CONFIG_BYTES) return undefined;
    content = await driver.getContent(path);
  } catch (err) {
    if (isPathNotFound(err)) return undefined;
    throw err;
  }
  let body: unknown;
  try {
    body = JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
  return isRecord(body) ? imageConfigOf(body) : undefined;
}

export function imageConfigOf(body: Record<string, unknown>): ImageConfig {
  const inner = isRecord(body['config']) ? body['config'] : {};
  const config: ImageConfig = { history: historyOf(body['history']) };
  assignString(config, 'os', body['os']);
  assignString(config, 'architecture', body['architecture']);
  assignString(config, 'variant', body['variant']);
  assignString(config, 'created', body['created']);
  assignString(config, 'author', body['author']);
  assignString(config, 'user', inner['User']);
  assignString(config, 'workingDir', inner['WorkingDir']);
  assignString(config, 'stopSignal', inner['StopSignal']);
  const entrypoint = stringList(inner['Entrypoint']);
  if (entrypoint) config.entrypoint = entrypoint;
  const cmd = stringList(inner['Cmd']);
  if (cmd) config.cmd = cmd;
  const env = stringList(inner['Env']);
  if (env) config.env = env;
  if (isRecord(inner['ExposedPorts'])) config.exposedPorts = Object.keys(inner['ExposedPorts']).sort();
  if (isRecord(inner['Volumes'])) config.volumes = Object.keys(inner['Volumes']).sort();
  if (isRecord(inner['Labels'])) {
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(inner['Labels'])) if (typeof value === 'string') labels[key] = value;
    config.labels = labels;
  }
  return config;
}

function historyOf(value: unknown): HistoryEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((entry) => {
    const item: HistoryEntry = { emptyLayer: entry['empty_layer'] === true };
    if (typeof entry['created'] === 'string') item.created = entry['created'];
    if (typeof entry['created_by'] === 'string') item.createdBy = entry['created_by'];
    if (typeof entry['comment'] === 'string') item.comment = entry['comment'];
    return item;
  });
}

function assignString<K extends 'os' | 'architecture' | 'variant' | 'created' | 'author' | 'user' | 'workingDir' | 'stopSignal'>(config: ImageConfig, key: K, value: unknown): void {
  if (typeof value === 'string' && value !== '') config[key] = value;
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
