// The image's root filesystem, made from what is on this machine: the running node binary and every shared
// library `ldd` names, static busybox for /bin/sh and /usr/bin/env, a `node` user (uid 1000), this machine's CA
// bundle, the default registry configuration, and /app: the four runtime packages' package.json, dist/src and
// bin/ (and the registry's dist/ui-assets), with production dependencies installed from npm's cache
// (`npm ci --offline`: nothing is downloaded).

import { chmod, chown, copyFile, cp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './run-command.js';

/** Workspaces the image runs; the lockfile names the others too, so npm ci needs their package.json. */
export const RUNTIME_PACKAGES = ['core', 'registry', 'sidekick', 'host-agent'];
const TEST_PACKAGES = ['testbed', 'e2e'];
const COMMANDS: Record<string, string> = {
  'private-registry': 'registry/bin/private-registry.js',
  'registry-sidekick': 'sidekick/bin/registry-sidekick.js',
  'registry-host-agent': 'host-agent/bin/registry-host-agent.js',
};
const BUSYBOX_APPLETS = ['sh', 'env', 'ls', 'cat', 'id', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'chmod', 'chown', 'echo', 'test', 'sleep', 'grep', 'ps', 'wget'];
export const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function buildRootfs(rootfs: string, repoRoot: string, busybox: string): Promise<void> {
  for (const dir of ['usr/local/bin', 'usr/bin', 'bin', 'etc/ssl/certs', 'etc/docker/registry', 'home/node', 'root', 'var/lib/registry']) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);

  await copyWithLibraries(process.execPath, rootfs, '/usr/local/bin/node');
  await copyFile(busybox, join(rootfs, 'bin/busybox'));
  await chmod(join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
  // The commands' shims start with `#!/usr/bin/env node`.
  await symlink('/bin/busybox', join(rootfs, 'usr/bin/env'));

  await writeFile(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
  await writeFile(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
  if (existsSync(CA_BUNDLE)) await copyFile(realpathSync(CA_BUNDLE), join(rootfs, CA_BUNDLE));
  await copyFile(join(repoRoot, 'fleet/registry-config.yml'), join(rootfs, 'etc/docker/registry/config.yml'));
  await chown(join(rootfs, 'home/node'), 1000, 1000);
  await chown(join(rootfs, 'var/lib/registry'), 1000, 1000);

  await buildApp(join(rootfs, 'app'), repoRoot);
  for (const [command, target] of Object.entries(COMMANDS)) {
    await chmod(join(rootfs, 'app/packages', target), 0o755);
    await symlink(`/app/packages/${target}`, join(rootfs, 'usr/local/bin', command));
  }
}

async function buildApp(app: string, repoRoot: string): Promise<void> {
  await mkdir(app, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) await copyFile(join(repoRoot, file), join(app, file));
  for (const name of [...RUNTIME_PACKAGES, ...TEST_PACKAGES]) {
    await mkdir(join(app, 'packages', name), { recursive: true });
    await copyFile(join(repoRoot, 'packages', name, 'package.json'), join(app, 'packages', name, 'package.json'));
  }
  // From npm's cache only: the machine that ran `npm ci` has every package the lockfile names.
  const install = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  if (install.exitCode !== 0) {
    throw new Error(`npm ci --offline failed in ${app} (run \`npm ci\` in the repository first, so npm's cache has every package):\n${install.stderr.trim()}`);
  }
  for (const name of TEST_PACKAGES) {
    await rm(join(app, 'packages', name), { recursive: true, force: true });
    await rm(join(app, 'node_modules/@private-registry', name), { recursive: true, force: true });
  }
  for (const name of RUNTIME_PACKAGES) {
    const from = join(repoRoot, 'packages', name);
    if (!existsSync(join(from, 'dist/src'))) throw new Error(`packages/${name}/dist/src is missing: run \`npm run build\` first`);
    await cp(join(from, 'dist/src'), join(app, 'packages', name, 'dist/src'), { recursive: true });
    if (existsSync(join(from, 'bin'))) await cp(join(from, 'bin'), join(app, 'packages', name, 'bin'), { recursive: true });
  }
  // The web UI's stylesheet and script (scripts/build-ui-assets.mjs), which the registry finds beside dist/src.
  const uiAssets = join(repoRoot, 'packages/registry/dist/ui-assets');
  if (!existsSync(join(uiAssets, 'manifest.json'))) throw new Error('packages/registry/dist/ui-assets/manifest.json is missing: run `npm run build` first');
  await cp(uiAssets, join(app, 'packages/registry/dist/ui-assets'), { recursive: true });
}

/** Copies a binary to `target` under `root`, with every shared library `ldd` names at the same path. */
async function copyWithLibraries(binary: string, root: string, target: string): Promise<void> {
  await copyFile(realpathSync(binary), join(root, target));
  await chmod(join(root, target), 0o755);
  // A static binary: ldd says "not a dynamic executable" and exits 1; nothing to copy.
  const ldd = await run('ldd', [binary]);
  for (const match of ldd.stdout.matchAll(/(\/\S+\.so[^\s]*)/g)) {
    const library = match[1] ?? '';
    const destination = join(root, library);
    if (existsSync(destination)) continue;
    await mkdir(dirname(destination), { recursive: true });
    await copyFile(realpathSync(library), destination);
  }
}
