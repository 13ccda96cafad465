// Real, runnable images built offline with umoci from the host's static busybox: an OCI image layout a
// test pushes with `skopeo copy oci:DIR:TAG docker://...`. Each build has fresh timestamps, hence fresh
// digests; `extraFileContent` makes two images differ in content as well.

import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { busyboxApplets, staticBusyboxPath } from './busybox-binary.js';
import { runChecked } from './command.js';
import { findTag, hostArchitecture } from './oci-layout.js';
import { tempDir } from './temp-dir.js';
import { TestbedError } from './testbed-error.js';

export interface BusyboxImageOptions {
  /** `latest` unless told; an existing tag in the layout is replaced. */
  tag?: string;
  /** The config's architecture (the binary stays the host's); the host's unless told. */
  arch?: string;
  os?: string;
  /** No entrypoint unless told. */
  entrypoint?: string[];
  /** `["/bin/sh"]` unless told. */
  cmd?: string[];
  /** Written to /testbed/content.txt, so two images differ. */
  extraFileContent?: string;
  /** More files: absolute path in the image → content (a large Uint8Array makes a large layer). */
  files?: Record<string, string | Uint8Array>;
  labels?: Record<string, string>;
  /** A /bin symlink per busybox applet (`docker run IMAGE ls` works); true unless told. */
  applets?: boolean;
}

export interface BuiltImage {
  readonly layoutDir: string;
  readonly tag: string;
  /** `oci:LAYOUT:TAG`, for skopeo. */
  readonly ref: string;
  readonly manifestDigest: string;
  readonly manifestSize: number;
}

/** Builds (or adds to) the OCI layout at `dir` an image tagged `tag`. */
export async function buildBusyboxImage(dir: string, options: BusyboxImageOptions = {}): Promise<BuiltImage> {
  const tag = options.tag ?? 'latest';
  const image = `${dir}:${tag}`;
  if (!existsSync(join(dir, 'oci-layout'))) {
    // umoci refuses to init into an existing directory, even an empty one.
    await mkdir(dirname(dir), { recursive: true });
    await runChecked('umoci', ['init', '--layout', dir]);
  }
  await runChecked('umoci', ['new', '--image', image]);

  const bundle = await tempDir('umoci-bundle');
  try {
    const bundleDir = join(bundle.path, 'bundle');
    await runChecked('umoci', ['unpack', '--image', image, bundleDir]);
    await populateRootfs(join(bundleDir, 'rootfs'), options);
    await runChecked('umoci', ['repack', '--image', image, bundleDir]);
  } finally {
    await bundle.remove();
  }

  const configArgs = ['config', '--image', image, '--architecture', options.arch ?? hostArchitecture(), '--os', options.os ?? 'linux'];
  configArgs.push('--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  for (const part of options.entrypoint ?? []) configArgs.push('--config.entrypoint', part);
  for (const part of options.cmd ?? ['/bin/sh']) configArgs.push('--config.cmd', part);
  for (const [key, value] of Object.entries(options.labels ?? {})) configArgs.push('--config.label', `${key}=${value}`);
  await runChecked('umoci', configArgs);
  // new/repack/config each leave an unreferenced manifest and config behind.
  await runChecked('umoci', ['gc', '--layout', dir]);

  const descriptor = await findTag(dir, tag);
  if (descriptor === undefined) throw new TestbedError('IMAGE_BUILD_FAILED', `umoci left no tag ${tag} in ${dir}/index.json`);
  return { layoutDir: dir, tag, ref: `oci:${dir}:${tag}`, manifestDigest: descriptor.digest, manifestSize: descriptor.size };
}

async function populateRootfs(rootfs: string, options: BusyboxImageOptions): Promise<void> {
  const busybox = staticBusyboxPath();
  const bin = join(rootfs, 'bin');
  await mkdir(bin, { recursive: true });
  await copyFile(busybox, join(bin, 'busybox'));
  await chmod(join(bin, 'busybox'), 0o755);
  const applets = options.applets === false ? ['sh'] : await busyboxApplets(busybox);
  for (const applet of new Set([...applets, 'sh'])) {
    const link = join(bin, applet);
    if (!existsSync(link)) await symlink('busybox', link);
  }
  for (const sub of ['tmp', 'etc', 'root']) await mkdir(join(rootfs, sub), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  const files: Record<string, string | Uint8Array> = { ...options.files };
  if (options.extraFileContent !== undefined) files['/testbed/content.txt'] = options.extraFileContent;
  for (const [path, content] of Object.entries(files)) {
    const target = join(rootfs, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}
