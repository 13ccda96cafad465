// A stand-in for node:20-bookworm-slim made from this machine's own files, for building fleet/Dockerfile
// where no base image can be pulled: the running node binary and the shared libraries it links, npm,
// busybox as /bin/sh and the few tools a RUN step uses, a `node` user (uid 1000) as in the official image,
// and this machine's CA bundle (npm goes to registry.npmjs.org through whatever TLS this network has).

import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findCommand, runChecked, tempDir, type Dockerd } from '@private-registry/testbed';

const BUSYBOX_APPLETS = ['sh', 'ls', 'mkdir', 'chown', 'chmod', 'ln', 'rm', 'cp', 'mv', 'cat', 'env', 'id', 'true', 'false', 'echo', 'test', 'sleep', 'find', 'grep'];
const CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Imports the base image into `dockerd` under `tag` and returns the tag. */
export async function importLocalNodeImage(dockerd: Dockerd, tag = 'e2e/node-base:20'): Promise<string> {
  const work = await tempDir('node-base');
  try {
    const root = join(work.path, 'rootfs');
    for (const dir of ['usr/local/bin', 'usr/local/lib/node_modules', 'usr/bin', 'bin', 'etc/ssl/certs', 'root', 'home/node']) {
      mkdirSync(join(root, dir), { recursive: true });
    }
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    chmodSync(join(root, 'tmp'), 0o1777);

    await copyWithLibraries(process.execPath, root, '/usr/local/bin/node');
    const npm = findCommand('npm');
    if (npm === undefined) throw new Error('npm is not on PATH');
    const npmDir = dirname(dirname(realpathSync(npm))); // .../node_modules/npm/bin/npm-cli.js → .../node_modules/npm
    cpSync(npmDir, join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));

    const busybox = findCommand('busybox');
    if (busybox === undefined) throw new Error('busybox is not on PATH (apt-get install busybox-static)');
    await copyWithLibraries(busybox, root, '/bin/busybox');
    for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(root, 'bin', applet));
    symlinkSync('/bin/env', join(root, 'usr/bin/env')); // npm-cli.js starts with #!/usr/bin/env node

    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'hosts: files dns\n');
    const changes = ['ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'];
    if (existsSync(CA_BUNDLE)) {
      cpSync(CA_BUNDLE, join(root, CA_BUNDLE), { dereference: true });
      changes.push(`ENV NODE_EXTRA_CA_CERTS=${CA_BUNDLE}`);
    }

    chownSync(join(root, 'home/node'), 1000, 1000);

    const tarball = join(work.path, 'rootfs.tar');
    await runChecked('tar', ['-C', root, '--numeric-owner', '-cf', tarball, '.']);
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), tarball, tag];
    const result = await dockerd.docker(args, { timeoutMs: 120_000 });
    if (result.exitCode !== 0) throw new Error(`docker import failed: ${result.stderr}`);
    return tag;
  } finally {
    await work.remove();
  }
}

/** Copies a binary to `target` under `root`, with every shared library `ldd` names at the same path. */
async function copyWithLibraries(binary: string, root: string, target: string): Promise<void> {
  cpSync(binary, join(root, target), { dereference: true });
  const ldd = await runChecked('ldd', [binary]).catch(() => ({ stdout: '' })); // a static binary: "not a dynamic executable"
  for (const match of ldd.stdout.matchAll(/(\/\S+\.so[^\s]*)/g)) {
    const library = match[1] ?? '';
    const destination = join(root, library);
    if (existsSync(destination)) continue;
    mkdirSync(dirname(destination), { recursive: true });
    cpSync(library, destination, { dereference: true });
  }
}
