// Our registry as a real process for the client suites (skopeo, podman, docker): its JSON access log
// read back as entries, manifests fetched over plain HTTP, and the OCI layouts the clients write, read back.
import { randomBytes } from 'node:crypto';
import {
  httpJson,
  type HttpJsonResponse,
  logSize,
  type OciDescriptor,
  readBlob,
  readLayoutIndex,
  readLogLines,
  type RegistryProcess,
  type RegistryProcessOptions,
  startRegistryProcess,
} from '@private-registry/testbed';

/** One `"msg":"request"` line of our access log. */
export interface RequestLogEntry {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface RegistryUnderTest extends RegistryProcess {
  /** The log's current size: pass it to requestsSince to see only what a later action caused. */
  logOffset(): Promise<number>;
  /** Access-log entries written after `offset`, waiting up to `settleMs` for one that matches `until`. */
  requestsSince(offset: number, until?: (entry: RequestLogEntry) => boolean, settleMs?: number): Promise<RequestLogEntry[]>;
  getManifest(repository: string, reference: string, accept: readonly string[]): Promise<HttpJsonResponse>;
  tags(repository: string): Promise<string[]>;
}

export async function startRegistryUnderTest(options: RegistryProcessOptions = {}): Promise<RegistryUnderTest> {
  const registry = await startRegistryProcess(options);
  const logFile = registry.process.logFile;

  const requestsSince = async (offset: number, until?: (entry: RequestLogEntry) => boolean, settleMs = 2_000): Promise<RequestLogEntry[]> => {
    // pino writes a line when the response finishes, which can trail the client's exit by a moment.
    const deadline = Date.now() + settleMs;
    for (;;) {
      const entries = parseRequestLog(await readLogLines(logFile, offset));
      if (until === undefined || entries.some(until) || Date.now() >= deadline) return entries;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    ...registry,
    logOffset: () => logSize(logFile),
    requestsSince,
    getManifest: (repository, reference, accept) =>
      httpJson(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers: { Accept: accept.join(', ') } }),
    tags: async (repository) => {
      const response = await httpJson(`${registry.url}/v2/${repository}/tags/list`);
      if (response.status !== 200) throw new Error(`tags/list of ${repository} answered ${response.status}: ${response.text}`);
      return ((response.json as { tags?: string[] | null }).tags ?? []).slice().sort();
    },
  };
}

export function parseRequestLog(lines: readonly string[]): RequestLogEntry[] {
  const entries: RequestLogEntry[] = [];
  for (const line of lines) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record !== 'object' || record === null) continue;
    const { msg, method, url, status } = record as Record<string, unknown>;
    if (msg !== 'request' || typeof method !== 'string' || typeof url !== 'string' || typeof status !== 'number') continue;
    entries.push({ method, url, status });
  }
  return entries;
}

/** A string no earlier run printed, so `echo` output proves this very container ran. */
export function randomToken(): string {
  return `token-${randomBytes(8).toString('hex')}`;
}

/** A fresh repository name per test, so tests sharing one registry never see each other's tags. */
export function uniqueRepository(prefix: string): string {
  return `e2e/${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface LayoutImage {
  readonly manifestDigest: string;
  readonly mediaType: string | undefined;
  readonly configDigest: string;
  readonly layerDigests: string[];
}

interface ImageManifestJson {
  mediaType?: string;
  config: OciDescriptor;
  layers: OciDescriptor[];
}

/** The image tagged `tag` in an OCI layout: its manifest digest and the digests it references. */
export async function readLayoutImage(layoutDir: string, tag: string): Promise<LayoutImage> {
  const index = await readLayoutIndex(layoutDir);
  const descriptor = index.manifests.find((d) => d.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (descriptor === undefined) throw new Error(`no tag ${tag} in ${layoutDir}/index.json`);
  const manifest = JSON.parse((await readBlob(layoutDir, descriptor.digest)).toString('utf8')) as ImageManifestJson;
  return {
    manifestDigest: descriptor.digest,
    mediaType: manifest.mediaType,
    configDigest: manifest.config.digest,
    layerDigests: manifest.layers.map((layer) => layer.digest),
  };
}
