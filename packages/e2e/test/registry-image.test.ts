// The image built offline by `npm run image` and the fleet units run by their own Exec lines, as systemd would
// run them, on a real dockerd: the units load the image from the archive path when the host lacks it; the
// registry serves as a Docker Hub mirror (a local reference registry standing in for Docker Hub) that keeps its
// data in the host directory; the sidekick and host agent containers announce it and point the "host" at it;
// hello.service pulls ${DOCKER_REPO}busybox through it; a second image version published into the registry is
// pulled through ${DOCKER_REPO} by the units; stopping the units (what `fleetctl destroy` does) leaves the host's
// files byte for byte as they were, and dockerd restarts cleanly. The registry on S3 runs from the same lines.
// The host is a directory (hostRoot): /etc, /run and /var/lib mounts of the units land there.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  assertSucceeded,
  buildBusyboxImage,
  cleanupTestbed,
  freePort,
  hostFilesSnapshot,
  requireCommands,
  runCommand,
  skopeo,
  startDockerd,
  startEtcd,
  startReferenceRegistry,
  startS3rver,
  tempDir,
  waitForHttp,
  type Dockerd,
} from '@private-registry/testbed';
import { waitForValue } from './helpers/discovery-processes.js';
import { EXAMPLES_DIR, FLEET_DIR, loadUnit, REPO_ROOT } from './helpers/fleet-layout.js';
import { UnitRunner, type UnitRunnerOptions } from './helpers/unit-runner.js';

const PREFIX = '/services/docker-registry/';
const VERSION = (JSON.parse(await readFile(join(REPO_ROOT, 'packages/registry/package.json'), 'utf8')) as { version: string }).version;
const NEXT = `${VERSION}-next`;

async function buildImage(out: string, version: string): Promise<string> {
  const result = await runCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/image/build-image.ts'), '--version', version, '--out', out], { cwd: REPO_ROOT, timeoutMs: 300_000 });
  if (result.exitCode !== 0) throw new Error(`npm run image failed (${result.exitCode}): ${result.stderr}`);
  return join(out, `private-registry-${version}.docker.tar`);
}

describe('the image from `npm run image` and the fleet units, run by a real dockerd @e2e', function () {
  this.timeout(180_000);
  let dockerd: Dockerd;
  let host: string;
  let archive: string;
  let nextArchive: string;

  before(async function () {
    this.timeout(600_000);
    requireCommands(['dockerd', 'umoci', 'skopeo', 'busybox', 'etcd', 'docker-registry', 'unshare']);
    const out = (await tempDir('image-out')).path;
    archive = await buildImage(out, VERSION);
    nextArchive = await buildImage(out, NEXT);
    host = (await tempDir('fake-host')).path;
    for (const dir of ['etc/docker', 'run', 'var/lib']) await mkdir(join(host, dir), { recursive: true });
    // This dockerd is "the host's": it reads <host>/etc/docker/daemon.json as its default file (there is none),
    // and its pidfile and socket are where the host agent looks for them.
    dockerd = await startDockerd({ etcDockerDir: join(host, 'etc/docker'), pidFile: join(host, 'run/docker.pid'), socketPath: join(host, 'run/docker.sock') });
  });

  after(cleanupTestbed);

  const runner = async (dir: string, name: string, options: Omit<UnitRunnerOptions, 'logDir' | 'processEnv'> & { processEnv?: Record<string, string> }): Promise<UnitRunner> =>
    new UnitRunner(loadUnit(dir, name), { ...options, processEnv: { ...dockerd.env, ...options.processEnv }, logDir: (await tempDir('unit-logs')).path });

  /** The registry container's access-log lines (its unit's main process output). */
  async function registryAccessLog(unit: { main: { readLog(): Promise<string> } }): Promise<string[]> {
    return (await unit.main.readLog()).split('\n').filter((line) => line.includes('"msg":"request"') || line.includes('/v2/'));
  }


  it('loads the image from the archive path on first start; it has the three commands, only production dependencies, and runs as node', async () => {
    expect((await dockerd.docker(['image', 'inspect', `private-registry:${VERSION}`])).exitCode, 'not on the host yet').to.not.equal(0);
    const port = await freePort();
    const unit = await runner(FLEET_DIR, 'docker-registry.service', {
      env: { REGISTRY_IMAGE_ARCHIVE: archive, REGISTRY_DATA: join((await tempDir('data')).path, 'registry'), REGISTRY_DOCKER_OPTS: `--network host -e REGISTRY_HTTP_ADDR=127.0.0.1:${port}` },
    });
    const started = await unit.start();
    await waitForHttp(`http://127.0.0.1:${port}/v2/`, { timeoutMs: 30_000, process: started.main });
    // The web UI with its built stylesheet and script (the image ships dist/ui-assets).
    const page = await (await fetch(`http://127.0.0.1:${port}/ui/`)).text();
    const assets = [...page.matchAll(/(?:href|src)="(\/ui\/assets\/app\.[A-Za-z0-9]+\.(?:css|js))"/g)].map((m) => m[1] as string);
    expect(assets, 'the page links its stylesheet and script').to.have.lengthOf(2);
    for (const asset of assets) expect((await fetch(`http://127.0.0.1:${port}${asset}`)).status, asset).to.equal(200);
    expect((await started.stop()).exit.code).to.equal(0);
    assertSucceeded(await dockerd.docker(['image', 'inspect', 'private-registry:latest']));

    const inspect = await dockerd.docker([
      'run', '--rm', `private-registry:${VERSION}`, 'sh', '-c',
      'id -u; private-registry --version; registry-sidekick run --help >/dev/null && echo sidekick; registry-host-agent run --help >/dev/null && echo agent; ' +
        'ls /app/node_modules/typescript /app/node_modules/mocha /app/packages/testbed /app/node_modules/@private-registry/testbed 2>/dev/null | wc -l; ls -ld /var/lib/registry',
    ]);
    expect(inspect.exitCode, inspect.stderr).to.equal(0);
    const [uid, version, sidekick, agent, devFiles, dataDir] = inspect.stdout.trim().split('\n');
    expect(uid).to.equal('1000');
    expect(version).to.equal(VERSION);
    expect([sidekick, agent]).to.deep.equal(['sidekick', 'agent']);
    expect(devFiles?.trim(), 'no typescript, mocha or testbed in the image').to.equal('0');
    expect(dataDir).to.match(/ node +node /);
  });

  it('runs as a Docker Hub mirror that accepts pushes: announced, the host pointed at it, hello pulls ${DOCKER_REPO}busybox through it, an upgrade pulled through it, and destroy leaves the host as it was', async function () {
    this.timeout(300_000);
    const etcd = await startEtcd();
    // Docker Hub's stand-in. (Only for Docker Hub's own URL does the mirror ask for `library/busybox`.)
    const upstream = await startReferenceRegistry();
    const busybox = await buildBusyboxImage(join((await tempDir('busybox')).path, 'layout'), { extraFileContent: 'from the upstream' });
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', busybox.ref, `docker://${upstream.host}/busybox:latest`]));

    const port = await freePort();
    const repo = `127.0.0.1:${port}`;
    // CoreOS writes COREOS_PRIVATE_IPV4; REGISTRY_PORT here moves the registry and the sidekick together.
    const environment = `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCOREOS_PRIVATE_IPV4=127.0.0.1\nREGISTRY_PORT=${port}\n`;
    await writeFile(join(host, 'etc/environment'), environment);
    await writeFile(join(host, 'etc/machine-id'), 'e2e00000000000000000000000000001\n');
    await writeFile(join(host, 'etc/private-registry.env'), `# the upstream\nREGISTRY_PROXY_REMOTEURL=${upstream.url}\n`);
    const before = await hostFilesSnapshot(host);
    const common = {
      hostRoot: host,
      environmentFiles: [join(host, 'etc/environment'), join(host, 'etc/private-registry.env')],
      processEnv: { ETCD_ENDPOINTS: etcd.endpoint },
    };
    const registry = await runner(FLEET_DIR, 'docker-registry.service', {
      ...common,
      env: { REGISTRY_IMAGE_ARCHIVE: archive, REGISTRY_DATA: join(host, 'var/lib/docker-registry'), REGISTRY_DOCKER_OPTS: `--network host -e REGISTRY_HTTP_ADDR=${repo}` },
    });
    const sidekick = await runner(FLEET_DIR, 'docker-registry-sidekick.service', { ...common, env: { REGISTRY_IMAGE_ARCHIVE: archive } });
    // The agent holds on to a registry that went away for --hold (1 s by default) before it takes DOCKER_REPO
    // back: the sidekick's restart below (stop, then pull the next version through ${DOCKER_REPO}) takes longer
    // than that on a loaded machine, so here the agent holds for 20 s, as an operator would set it for upgrades.
    const discovery = await runner(FLEET_DIR, 'docker-registry-discovery.service', { ...common, env: { REGISTRY_IMAGE_ARCHIVE: archive, DISCOVERY_DOCKER_OPTS: '-e HOST_AGENT_HOLD_MS=20000' } });
    const hello = await runner(EXAMPLES_DIR, 'hello.service', { ...common, environmentFiles: [join(host, 'etc/environment')] });

    const keys = async (): Promise<string> => assertSucceeded(await etcd.etcdctl(['get', '--prefix', PREFIX, '--keys-only'])).stdout.trim();
    const mirrors = async (): Promise<string[]> => JSON.parse(assertSucceeded(await dockerd.docker(['info', '--format', '{{json .RegistryConfig.Mirrors}}'])).stdout) as string[];
    const dockerRepo = async (): Promise<string | null> => /^DOCKER_REPO=(.*)$/m.exec(await readFile(join(host, 'etc/environment'), 'utf8'))?.[1] ?? null;
    // `docker run` in the unit's main process creates the container a moment after start() returns: poll for it.
    const versionOf = async (container: string): Promise<string | null> => {
      const inspect = await dockerd.docker(['inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.version"}}', container]);
      return inspect.exitCode === 0 ? inspect.stdout.trim() : null;
    };
    const runningVersions = async (...containers: string[]): Promise<Array<string | null>> => Promise.all(containers.map(versionOf));

    // fleetctl start fleet/docker-registry*
    let registryUnit = await registry.start();
    await waitForHttp(`http://${repo}/v2/`, { timeoutMs: 30_000, process: registryUnit.main });
    let sidekickUnit = await sidekick.start();
    await waitForValue(keys, `${PREFIX}${repo}`, 45_000, 'the sidekick container announces 127.0.0.1:<port> through the host network');
    // start() returns after ExecStartPost (`wait`): the decision is made, DOCKER_REPO written.
    let discoveryUnit = await discovery.start();
    expect(await dockerRepo(), 'DOCKER_REPO written by the time the discovery unit counts as started').to.equal(`${repo}/`);
    await waitForValue(mirrors, [`http://${repo}/`], 20_000, "dockerd's mirrors, reloaded by SIGHUP from the agent's container");

    // A unit of the user's: pulls ${DOCKER_REPO}busybox, which the mirror fetches from "Docker Hub".
    const helloUnit = await hello.start();
    await helloUnit.main.waitForLog(/hello from /, { timeoutMs: 60_000 });
    expect((await upstream.accessLog()).some((e) => e.path === '/v2/busybox/manifests/latest'), 'fetched from the upstream').to.equal(true);
    expect((await helloUnit.stop()).exit.code, 'hello stops cleanly (its sh traps SIGTERM)').to.equal(0);
    // And it accepts pushes: a repository of our own, next to the cached ones.
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', busybox.ref, `docker://${repo}/myteam/tool:1`]));

    // An upgrade: the next version published into the registry. The sidekick restarts first and pulls it through
    // ${DOCKER_REPO} (the agent still runs, so DOCKER_REPO is set); the registry and the agent then find it here.
    assertSucceeded(await skopeo(['copy', '--dest-tls-verify=false', `docker-archive:${nextArchive}`, `docker://${repo}/private-registry:${NEXT}`]));
    await writeFile(join(host, 'etc/private-registry.env'), `# the upstream\nREGISTRY_PROXY_REMOTEURL=${upstream.url}\nREGISTRY_IMAGE=private-registry:${NEXT}\n`);
    const pullsBefore = (await registryAccessLog(registryUnit)).filter((line) => line.includes(`/v2/private-registry/manifests/${NEXT}`)).length;
    expect((await sidekickUnit.stop()).exit.code).to.equal(0);
    sidekickUnit = await sidekick.start();
    await waitForValue(() => runningVersions('docker-registry-sidekick'), [NEXT], 30_000, 'the sidekick container runs the next version');
    expect((await registryAccessLog(registryUnit)).filter((line) => line.includes(`/v2/private-registry/manifests/${NEXT}`)).length, 'pulled through ${DOCKER_REPO}').to.be.greaterThan(pullsBefore);
    await waitForValue(keys, `${PREFIX}${repo}`, 45_000, 'announced again by the upgraded sidekick');
    expect((await sidekickUnit.stop()).exit.code).to.equal(0);
    expect((await registryUnit.stop()).exit.code).to.equal(0);
    registryUnit = await registry.start();
    await waitForHttp(`http://${repo}/v2/`, { timeoutMs: 30_000, process: registryUnit.main });
    sidekickUnit = await sidekick.start();
    expect((await discoveryUnit.stop()).exit.code).to.equal(0);
    discoveryUnit = await discovery.start();
    await waitForValue(() => runningVersions('docker-registry', 'docker-registry-sidekick', 'docker-registry-discovery'), [NEXT, NEXT, NEXT], 30_000, 'all three containers on the next version');
    await waitForValue(keys, `${PREFIX}${repo}`, 45_000, 'announced by the upgraded sidekick');
    await waitForValue(dockerRepo, `${repo}/`, 20_000, 'the upgraded agent points the host at it again');
    const pushed = await fetch(`http://${repo}/v2/myteam/tool/manifests/1`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(pushed.status, 'what was pushed survived the upgrade').to.equal(200);

    // fleetctl destroy fleet/docker-registry*: every unit stopped (the sidekick before the registry: BindsTo/After).
    expect((await discoveryUnit.stop()).exit.code, 'the agent exits 0 after cleaning up').to.equal(0);
    expect(await mirrors(), "dockerd's mirrors cleared by the agent's last reload").to.deep.equal([]);
    expect((await sidekickUnit.stop()).exit.code).to.equal(0);
    expect(await keys(), 'the lease is revoked at once, not left to expire').to.equal('');
    expect((await registryUnit.stop()).exit.code).to.equal(0);
    await writeFile(join(host, 'etc/private-registry.env'), `# the upstream\nREGISTRY_PROXY_REMOTEURL=${upstream.url}\n`);
    expect(await hostFilesSnapshot(host), "the host's /etc byte for byte as it was (no daemon.json, no containerd or podman files)").to.deep.equal(before);
    expect(existsSync(join(host, 'var/lib/registry-host-agent/state.json')), "the agent's record stays on the host").to.equal(true);
    const left = await dockerd.docker(['ps', '-a', '--format', '{{.Names}}']);
    expect(left.stdout.trim(), 'no container left behind').to.equal('');
    await dockerd.restart();
    expect(await mirrors(), 'dockerd restarts, with no mirror').to.deep.equal([]);
  });

  it('runs the registry on S3 from the same Exec lines, with the storage settings in /etc/private-registry.env', async () => {
    const s3 = await startS3rver({ silent: true });
    const bucket = await s3.createBucket();
    const envFile = join((await tempDir('s3-env')).path, 'private-registry.env');
    // docker's --env-file takes values verbatim: no quotes.
    await writeFile(
      envFile,
      [
        'REGISTRY_STORAGE=s3',
        `REGISTRY_STORAGE_S3_REGIONENDPOINT=${s3.endpoint}`,
        `REGISTRY_STORAGE_S3_REGION=${s3.region}`,
        `REGISTRY_STORAGE_S3_BUCKET=${bucket}`,
        `REGISTRY_STORAGE_S3_ACCESSKEY=${s3.accessKey}`,
        `REGISTRY_STORAGE_S3_SECRETKEY=${s3.secretKey}`,
        'REGISTRY_STORAGE_S3_SECURE=false',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const unit = await runner(FLEET_DIR, 'docker-registry.service', {
      environmentFiles: [envFile],
      env: { REGISTRY_IMAGE_ARCHIVE: archive, REGISTRY_DATA: join((await tempDir('s3-unused')).path, 'data'), REGISTRY_DOCKER_OPTS: `--network host --env-file ${envFile} -e REGISTRY_HTTP_ADDR=127.0.0.1:${port}` },
    });
    const started = await unit.start();
    await waitForHttp(`${base}/v2/`, { timeoutMs: 30_000, process: started.main });
    const blob = Buffer.from(`on S3 at ${new Date().toISOString()}\n`);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const push = await fetch(`${base}/v2/e2e/s3/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob, headers: { 'content-type': 'application/octet-stream' } });
    expect(push.status, await push.text()).to.equal(201);
    expect((await started.stop()).exit.code).to.equal(0);
    const objects = await readdir(s3.directory, { recursive: true });
    expect(objects.some((p) => p.includes(digest.slice('sha256:'.length))), 'the blob is in the bucket, not on the host').to.equal(true);
  });
});
