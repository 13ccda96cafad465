// A multi-arch image in an OCI layout: one busybox image per architecture (same layer, configs differing
// in architecture and a label) and an image index over them written by hand, tagged so that
// `skopeo copy --all oci:DIR:TAG docker://...` pushes the index and every manifest.

import { buildBusyboxImage } from './busybox-image.js';
import { runChecked } from './command.js';
import { findTag, OCI_INDEX_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE, tagDescriptor, writeBlob, type OciDescriptor, type OciPlatform } from './oci-layout.js';
import { TestbedError } from './testbed-error.js';

export interface MultiArchIndexOptions {
  /** The index's tag, `latest` unless told; each image is also tagged `TAG-ARCH` (slashes become dashes). */
  tag?: string;
  extraFileContent?: string;
}

export interface MultiArchManifest {
  readonly platform: OciPlatform;
  readonly digest: string;
  readonly size: number;
  readonly tag: string;
}

export interface MultiArchIndex {
  readonly layoutDir: string;
  readonly tag: string;
  /** `oci:LAYOUT:TAG`, to copy with `--all`. */
  readonly ref: string;
  readonly indexDigest: string;
  readonly indexSize: number;
  readonly manifests: readonly MultiArchManifest[];
}

/** `arches` are OCI names, optionally with a variant: `amd64`, `arm64`, `arm/v7`. */
export async function buildMultiArchIndex(dir: string, arches: readonly string[], options: MultiArchIndexOptions = {}): Promise<MultiArchIndex> {
  if (arches.length === 0) throw new TestbedError('IMAGE_BUILD_FAILED', 'buildMultiArchIndex needs at least one architecture');
  const tag = options.tag ?? 'latest';
  const baseTag = `${tag}-testbed-base`;
  await buildBusyboxImage(dir, { tag: baseTag, ...(options.extraFileContent === undefined ? {} : { extraFileContent: options.extraFileContent }) });

  const manifests: MultiArchManifest[] = [];
  for (const arch of arches) {
    const [architecture = arch, variant] = arch.split('/');
    const imageTag = `${tag}-${arch.replace(/\//g, '-')}`;
    // umoci has no variant flag: the label keeps arm/v6 and arm/v7 configs (and digests) apart.
    await runChecked('umoci', ['config', '--image', `${dir}:${baseTag}`, '--tag', imageTag, '--architecture', architecture, '--os', 'linux', '--config.label', `org.testbed.platform=linux/${arch}`]);
    const descriptor = await findTag(dir, imageTag);
    if (descriptor === undefined) throw new TestbedError('IMAGE_BUILD_FAILED', `umoci left no tag ${imageTag} in ${dir}`);
    const platform: OciPlatform = { os: 'linux', architecture, ...(variant === undefined ? {} : { variant }) };
    manifests.push({ platform, digest: descriptor.digest, size: descriptor.size, tag: imageTag });
  }
  await runChecked('umoci', ['rm', '--image', `${dir}:${baseTag}`]);
  await runChecked('umoci', ['gc', '--layout', dir]);

  const entries: OciDescriptor[] = manifests.map((m) => ({ mediaType: OCI_MANIFEST_MEDIA_TYPE, digest: m.digest, size: m.size, platform: m.platform }));
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_MEDIA_TYPE, manifests: entries }));
  const index = await writeBlob(dir, OCI_INDEX_MEDIA_TYPE, body);
  await tagDescriptor(dir, tag, index);
  return { layoutDir: dir, tag, ref: `oci:${dir}:${tag}`, indexDigest: index.digest, indexSize: index.size, manifests };
}
