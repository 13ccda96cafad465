// Reading and extending an OCI image layout directory (index.json + blobs/sha256): what the multi-arch
// builder needs to add an image index by hand, since umoci only writes image manifests. Note that umoci's
// manifests carry no top-level mediaType: never require one.

import { createHash } from 'node:crypto';
import { readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface OciPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: OciPlatform;
  annotations?: Record<string, string>;
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: OciDescriptor[];
  annotations?: Record<string, string>;
}

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export async function readLayoutIndex(layoutDir: string): Promise<OciIndex> {
  return JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as OciIndex;
}

/** Replaces index.json atomically (temp file + rename). */
export async function writeLayoutIndex(layoutDir: string, index: OciIndex): Promise<void> {
  const target = join(layoutDir, 'index.json');
  await writeFile(`${target}.tmp`, JSON.stringify(index));
  await rename(`${target}.tmp`, target);
}

/** The descriptor tagged `tag` in the layout's index.json. */
export async function findTag(layoutDir: string, tag: string): Promise<OciDescriptor | undefined> {
  return (await readLayoutIndex(layoutDir)).manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
}

/** Stores `content` as a blob and returns its descriptor. */
export async function writeBlob(layoutDir: string, mediaType: string, content: Buffer): Promise<OciDescriptor> {
  const hex = createHash('sha256').update(content).digest('hex');
  await writeFile(join(layoutDir, 'blobs', 'sha256', hex), content);
  return { mediaType, digest: `sha256:${hex}`, size: content.length };
}

export async function readBlob(layoutDir: string, digest: string): Promise<Buffer> {
  const [algorithm, hex] = digest.split(':');
  if (algorithm === undefined || hex === undefined) throw new Error(`not a digest: ${digest}`);
  return readFile(join(layoutDir, 'blobs', algorithm, hex));
}

/** Points `tag` at `descriptor` in index.json (replacing any earlier entry with that tag). */
export async function tagDescriptor(layoutDir: string, tag: string, descriptor: OciDescriptor): Promise<void> {
  const index = await readLayoutIndex(layoutDir);
  index.manifests = index.manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== tag);
  index.manifests.push({ ...descriptor, annotations: { ...descriptor.annotations, [REF_NAME_ANNOTATION]: tag } });
  await writeLayoutIndex(layoutDir, index);
}

/** The OCI architecture name of this machine (amd64, arm64, ...). */
export function hostArchitecture(): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[process.arch] ?? process.arch;
}
