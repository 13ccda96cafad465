// `npm run image`: builds the private-registry image offline, from what is on this machine (no base image, no
// registry, no network): a root filesystem (image-rootfs.ts) packed into an OCI image layout with umoci, then
// written as an OCI archive and as a `docker load`-able archive, tagged with the version and `latest`.
//   npm run image -- [--version 0.1.0] [--out build/image]
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildRootfs, CA_BUNDLE } from './image-rootfs.js';
import { run, runChecked } from './run-command.js';
import { MALLOC_TUNABLE } from '../../packages/registry/src/malloc-tuning.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const IMAGE_NAME = 'private-registry';

function usage(message?: string): never {
  if (message !== undefined) process.stderr.write(`npm run image: ${message}\n`);
  process.stderr.write('usage: npm run image -- [--version X.Y.Z] [--out DIR]\n');
  process.exit(message === undefined ? 0 : 2);
}

function options(): { version: string; out: string } {
  let values: { version?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { version: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help === true) usage();
  const version = values.version ?? (JSON.parse(readFileSync(join(REPO_ROOT, 'packages/registry/package.json'), 'utf8')) as { version: string }).version;
  // A Docker tag: what `private-registry:<version>` must be.
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(version)) usage(`--version "${version}" is not a valid image tag`);
  return { version, out: resolve(values.out ?? join(REPO_ROOT, 'build/image')) };
}

async function findCommand(name: string): Promise<string> {
  const found = await run('sh', ['-c', `command -v ${name}`]);
  const path = found.stdout.trim();
  if (found.exitCode !== 0 || path === '') {
    process.stderr.write(`npm run image: ${name} is not installed (apt-get install -y umoci skopeo busybox-static)\n`);
    process.exit(2);
  }
  return path;
}

function architecture(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

async function main(): Promise<void> {
  const { version, out } = options();
  await Promise.all(['umoci', 'skopeo', 'ldd'].map(findCommand));
  const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : await findCommand('busybox');
  const started = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'private-registry-image-'));
  try {
    const layout = join(work, 'layout');
    const image = `${layout}:${version}`;
    await runChecked('umoci', ['init', '--layout', layout]);
    await runChecked('umoci', ['new', '--image', image]);
    const bundle = join(work, 'bundle');
    await runChecked('umoci', ['unpack', '--image', image, bundle]);
    await buildRootfs(join(bundle, 'rootfs'), REPO_ROOT, busybox);
    await runChecked('umoci', ['repack', '--image', image, bundle]);
    await runChecked('umoci', [
      'config', '--image', image,
      '--architecture', architecture(), '--os', 'linux',
      '--config.user', '1000:1000',
      '--config.workingdir', '/app',
      '--config.env', 'PATH=/usr/local/bin:/usr/bin:/bin',
      '--config.env', 'NODE_ENV=production',
      '--config.env', `GLIBC_TUNABLES=${MALLOC_TUNABLE}`,
      // Node trusts its own CA list; this adds the build machine's (a corporate proxy's CA, say).
      ...(existsSync(CA_BUNDLE) ? ['--config.env', `NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`] : []),
      '--config.volume', '/var/lib/registry',
      '--config.exposedports', '5000/tcp',
      '--config.cmd', 'private-registry', '--config.cmd', 'serve', '--config.cmd', '/etc/docker/registry/config.yml',
      '--config.label', `org.opencontainers.image.title=${IMAGE_NAME}`,
      '--config.label', `org.opencontainers.image.version=${version}`,
      '--config.label', `org.opencontainers.image.created=${new Date().toISOString()}`,
      '--tag', version,
    ]);
    await runChecked('umoci', ['tag', '--image', `${layout}:${version}`, 'latest']);
    await runChecked('umoci', ['gc', '--layout', layout]);

    await mkdir(out, { recursive: true });
    const ociArchive = join(out, `${IMAGE_NAME}-${version}.oci.tar`);
    const dockerArchive = join(out, `${IMAGE_NAME}-${version}.docker.tar`);
    await rm(ociArchive, { force: true });
    await rm(dockerArchive, { force: true });
    await runChecked('tar', ['-C', layout, '-cf', ociArchive, '.']);
    await runChecked('skopeo', ['copy', '--quiet', `oci:${layout}:${version}`, `docker-archive:${dockerArchive}:${IMAGE_NAME}:${version}`, '--additional-tag', `${IMAGE_NAME}:latest`]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const digest = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === version)?.digest ?? '?';
    const size = (await stat(dockerArchive)).size;
    process.stdout.write(
      [
        `${IMAGE_NAME}:${version} and ${IMAGE_NAME}:latest (${architecture()}, manifest ${digest}), built in ${((Date.now() - started) / 1000).toFixed(0)} s:`,
        `  ${dockerArchive}  (${(size / 1e6).toFixed(0)} MB; docker load -i ${dockerArchive})`,
        `  ${ociArchive}  (an OCI image layout; skopeo copy oci-archive:${ociArchive}:${version} docker://HOST:PORT/${IMAGE_NAME}:${version})`,
        '',
      ].join('\n'),
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`npm run image: ${(err as Error).message}\n`);
  process.exit(1);
});
