// fleet cannot run here, so the unit files are checked as fleet and systemd would read them: every unit
// parses, `fleetctl start fleet/docker-registry*` names the three fleet units, the dependencies and
// [X-Fleet] placement hold, every container is cleaned up by name, and the flags in the Exec lines exist
// in docker and in our built commands. (systemd-analyze.test.ts runs systemd's own reader over them too.)

import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { findCommand } from '@private-registry/testbed';
import { checkCliArgs } from './helpers/cli-help.js';
import { DOCKER_RUN_FLAGS, hasOption, optionValues, parseDockerRunHelp, type DockerRun } from './helpers/docker-run.js';
import { expandCommand, parseExecLine, variablesUsed } from './helpers/exec-command.js';
import {
  DOCKER,
  dockerfileCmd,
  dockerSubcommand,
  EXAMPLES_DIR,
  execLines,
  FLEET_DIR,
  loadUnit,
  loadUnits,
  REPO_ROOT,
  SYSTEMD_DIR,
  unitContainer,
} from './helpers/fleet-layout.js';
import { OUR_PROGRAMS, ourCliHelp } from './helpers/our-cli-help.js';
import type { UnitFile } from './helpers/unit-file.js';

const run = promisify(execFile);

const REGISTRY = 'docker-registry.service';
const SIDEKICK = 'docker-registry-sidekick.service';
const DISCOVERY = 'docker-registry-discovery.service';
const FLEET_UNITS = [REGISTRY, SIDEKICK, DISCOVERY];

/** The shell glob `fleet/docker-registry*`: `*` matches within one path segment, never a leading dot. */
function fleetctlGlob(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && !name.startsWith('.'))
    .sort();
}

/** What the container's command is: the words after the image, or the image's CMD when there are none. */
function containerCommand(container: DockerRun): readonly string[] {
  return container.command.length > 0 ? container.command : dockerfileCmd();
}

function dockerStopTimeout(unit: UnitFile): number {
  const stop = unit.all('Service', 'ExecStop').map(parseExecLine);
  const args = stop.map((c) => dockerSubcommand(c, 'stop')).find((a) => a !== undefined) ?? [];
  const t = args.indexOf('-t');
  return t >= 0 ? Number(args[t + 1]) : 10;
}

/** systemd time spans as the units write them: `30`, `30s`, `2min`, `1min 30s`. */
function seconds(span: string): number {
  let total = 0;
  for (const [, n, unit] of span.matchAll(/(\d+)\s*(min|s)?/g)) total += Number(n) * (unit === 'min' ? 60 : 1);
  return total;
}

const REGISTRY_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages/registry/package.json'), 'utf8')) as { version: string }).version;

describe('fleet units', () => {
  const fleet = new Map(FLEET_UNITS.map((name) => [name, loadUnit(FLEET_DIR, name)]));
  const unit = (name: string): UnitFile => {
    const found = fleet.get(name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };

  it('parses every unit file under fleet/, fleet/systemd and fleet/examples, each with a [Unit] and a [Service]', () => {
    const all = [...loadUnits(FLEET_DIR), ...loadUnits(SYSTEMD_DIR), ...loadUnits(EXAMPLES_DIR)];
    expect(all.map((u) => u.name)).to.include.members([...FLEET_UNITS, 'hello.service']);
    for (const u of all) {
      expect(u.sections, u.name).to.include.members(['Unit', 'Service']);
      for (const section of u.sections) expect(['Unit', 'Service', 'Install', 'X-Fleet'], `${u.name} [${section}]`).to.include(section);
      for (const { command } of execLines(u)) expect(command.program, u.name).to.be.a('string');
    }
  });

  it('names exactly the three fleet units with `fleetctl start fleet/docker-registry*`, and none of systemd/ or examples/', () => {
    expect(fleetctlGlob(FLEET_DIR, 'docker-registry')).to.deep.equal([...FLEET_UNITS].sort());
  });

  it('runs the sidekick on the registry machine, after the registry, and stops it with the registry', () => {
    const sidekick = unit(SIDEKICK);
    expect(sidekick.words('Unit', 'BindsTo')).to.include(REGISTRY);
    expect(sidekick.words('Unit', 'After')).to.include(REGISTRY);
    expect(sidekick.get('X-Fleet', 'MachineOf')).to.equal(REGISTRY);
    // Restart=always brings a crashed registry back; BindsTo stopped the sidekick meanwhile, Wants starts it again.
    expect(unit(REGISTRY).words('Unit', 'Wants')).to.include(SIDEKICK);
  });

  it('runs the discovery unit on every machine, unconstrained', () => {
    const discovery = unit(DISCOVERY);
    expect(discovery.get('X-Fleet', 'Global')).to.equal('true');
    expect(discovery.entries.filter((e) => e.section === 'X-Fleet').map((e) => e.key)).to.deep.equal(['Global']);
  });

  it('pins the registry, whose data is in a host directory, to the machine with registry=true metadata', () => {
    expect(unit(REGISTRY).entries.filter((e) => e.section === 'X-Fleet').map((e) => `${e.key}=${e.value}`)).to.deep.equal(['MachineMetadata=registry=true']);
  });

  it('counts the discovery unit as started only once the agent has decided (After= means something)', () => {
    const post = unit(DISCOVERY).all('Service', 'ExecStartPost');
    expect(post).to.have.length(1);
    expect(post[0]).to.match(/registry-host-agent wait --root \/host --timeout 30s$/);
    expect(unit(DISCOVERY).get('Service', 'Type') ?? 'simple').to.equal('simple');
  });

  it('never lets docker run pull the image from Docker Hub: --pull never, the image bootstrapped by ExecStartPre', () => {
    for (const name of [REGISTRY, SIDEKICK, DISCOVERY]) {
      const lines = unit(name).all('Service', 'ExecStart');
      expect(lines[0], name).to.match(/docker run --rm --name \S+ --pull never /);
      expect(unit(name).all('Service', 'ExecStartPre').some((l) => l.includes('docker load -i "$$REGISTRY_IMAGE_ARCHIVE"')), name).to.equal(true);
    }
  });

  it('orders the registry and the discovery unit after docker.service and requires it', () => {
    for (const name of [REGISTRY, DISCOVERY]) {
      expect(unit(name).words('Unit', 'Requires'), name).to.include('docker.service');
      expect(unit(name).words('Unit', 'After'), name).to.include('docker.service');
    }
  });

  it('gives every Exec line an absolute program, and a value or default to every variable it uses', () => {
    const all = [...fleet.values(), ...loadUnits(SYSTEMD_DIR), ...loadUnits(EXAMPLES_DIR)];
    for (const u of all) {
      const defined = new Set(u.environment().keys());
      for (const { key, command } of execLines(u)) {
        expect(posix.isAbsolute(command.program), `${u.name} ${key}=${command.line}`).to.equal(true);
        for (const name of variablesUsed(command)) {
          // COREOS_PRIVATE_IPV4 and DOCKER_REPO come from /etc/environment; ETCD_ENDPOINTS is optional on purpose.
          if (['COREOS_PRIVATE_IPV4', 'DOCKER_REPO'].includes(name)) {
            expect(u.all('Service', 'EnvironmentFile').map((f) => f.replace(/^-/, '')), `${u.name} reads ${name}`).to.include('/etc/environment');
          } else {
            expect(defined.has(name), `${u.name}: ${key} uses $${name} without an Environment= default`).to.equal(true);
          }
        }
      }
    }
  });

  it('removes a stale container by name before docker run --rm --name, and stops that same container', () => {
    for (const u of [...fleet.values(), ...loadUnits(SYSTEMD_DIR), ...loadUnits(EXAMPLES_DIR)]) {
      const container = unitContainer(u);
      const names = optionValues(container, '--name');
      expect(names, `${u.name} --name`).to.have.length(1);
      const name = names[0];
      expect(hasOption(container, '--rm'), `${u.name} --rm`).to.equal(true);

      const pre = u.all('Service', 'ExecStartPre').map(parseExecLine);
      const removal = pre.find((c) => dockerSubcommand(c, 'rm') !== undefined);
      expect(removal, `${u.name}: ExecStartPre=-${DOCKER} rm -f ${name}`).to.not.equal(undefined);
      expect(removal?.ignoreFailure, `${u.name}: the removal may fail (no stale container): "-" prefix`).to.equal(true);
      expect(dockerSubcommand(removal!, 'rm')).to.deep.equal(['-f', name]);

      const stops = u.all('Service', 'ExecStop').map(parseExecLine);
      expect(stops, `${u.name} ExecStop`).to.have.length(1);
      const stopArgs = dockerSubcommand(stops[0]!, 'stop');
      expect(stopArgs, `${u.name}: ExecStop=${DOCKER} stop`).to.not.equal(undefined);
      expect(stopArgs?.at(-1), `${u.name} stops its own container`).to.equal(name);
    }
  });

  it('lets docker stop finish (its SIGKILL grace) before systemd gives up on stopping the unit', () => {
    for (const u of [...fleet.values(), ...loadUnits(SYSTEMD_DIR)]) {
      const grace = dockerStopTimeout(u);
      const timeout = seconds(u.get('Service', 'TimeoutStopSec') ?? '90s');
      expect(timeout, `${u.name}: TimeoutStopSec vs docker stop -t ${grace}`).to.be.greaterThan(grace + 5);
      expect(u.get('Service', 'Restart'), u.name).to.equal('always');
    }
    // The registry drains for up to 10 s (http.draintimeout in the image's config): docker must wait longer.
    expect(dockerStopTimeout(unit(REGISTRY))).to.be.greaterThan(10);
  });

  it('runs all three containers from the one image named by REGISTRY_IMAGE', () => {
    for (const u of fleet.values()) {
      expect(unitContainer(u).image, u.name).to.equal('${REGISTRY_IMAGE}');
      // Pinned to this release's version (what `npm run image` tags): `latest` would be whatever a host holds.
      expect(u.environment().get('REGISTRY_IMAGE'), u.name).to.equal(`private-registry:${REGISTRY_VERSION}`);
    }
    const registry = unitContainer(unit(REGISTRY));
    expect(optionValues(registry, '-p', '--publish')).to.deep.equal(['${REGISTRY_PORT}:5000']);
    expect(unit(REGISTRY).environment().get('REGISTRY_PORT')).to.equal('5000');
    expect(optionValues(registry, '-v', '--volume')).to.deep.equal(['${REGISTRY_DATA}:/var/lib/registry']);
    expect(containerCommand(registry).slice(0, 2), 'the image CMD serves the registry').to.deep.equal(['private-registry', 'serve']);
  });

  it('announces ${COREOS_PRIVATE_IPV4}:${REGISTRY_PORT} (5000) from the sidekick, probing the registry at that address on the host network', () => {
    const sidekick = unitContainer(unit(SIDEKICK));
    expect(optionValues(sidekick, '--network')).to.deep.equal(['host']);
    const args = containerCommand(sidekick);
    expect(args.slice(0, 2)).to.deep.equal(['registry-sidekick', 'run']);
    expect(args[args.indexOf('--advertise') + 1]).to.equal('${COREOS_PRIVATE_IPV4}:${REGISTRY_PORT}');
    expect(args[args.indexOf('--registry-url') + 1]).to.equal('http://${COREOS_PRIVATE_IPV4}:${REGISTRY_PORT}');
    // The same port as the registry publishes, from the same variable and default.
    expect(unit(SIDEKICK).environment().get('REGISTRY_PORT')).to.equal(unit(REGISTRY).environment().get('REGISTRY_PORT'));
  });

  it("mounts, at the same path under /host, every host directory the agent reads or writes under --root", async function () {
    const discovery = unitContainer(unit(DISCOVERY));
    const args = containerCommand(discovery);
    expect(args.slice(0, 2)).to.deep.equal(['registry-host-agent', 'run']);
    expect(args[args.indexOf('--root') + 1]).to.equal('/host');
    expect(optionValues(discovery, '--network')).to.deep.equal(['host']);
    expect(optionValues(discovery, '--pid'), 'signals the host dockerd by pid').to.deep.equal(['host']);
    expect(optionValues(discovery, '--user', '-u')).to.deep.equal(['0']);

    const mounts = optionValues(discovery, '-v', '--volume').map((v) => {
      const [source = '', target = '', mode = 'rw'] = v.split(':');
      return { source, target, readOnly: mode.split(',').includes('ro') };
    });
    for (const m of mounts) expect(m.target, `${m.source} is mounted at /host${m.source}`).to.equal(`/host${m.source}`);
    // The most specific mount wins, as in the kernel: /run/registry-host-agent (rw) inside /run (ro).
    const covering = (path: string) =>
      mounts.filter((m) => path === m.source || path.startsWith(`${m.source}/`)).sort((a, b) => b.source.length - a.source.length)[0];

    // Paths the agent writes without a flag (containerd and podman files) sit under /etc.
    const writable = ['/etc/environment', '/etc/docker/daemon.json', '/etc/containerd/certs.d/docker.io/hosts.toml', '/etc/containers/registries.conf.d/x.conf'];
    const lookup = await ourCliHelp('registry-host-agent', 'run');
    if ('help' in lookup) {
      // And every "(under --root)" path flag: the value the unit gives, else the default the agent prints.
      for (const option of lookup.help.options.values()) {
        if (!option.description.includes('(under --root)')) continue;
        const given = args.indexOf(option.flag);
        const path = given >= 0 ? args[given + 1] : option.defaultValue;
        expect(path, `${option.flag} has a value or a default`).to.be.a('string');
        // Read, or connected to (a socket on a read-only mount still accepts connections): need not be writable.
        if (option.flag === '--docker-pidfile' || option.flag === '--docker-socket') expect(covering(path as string), `${option.flag} ${path}`).to.not.equal(undefined);
        else writable.push(path as string);
      }
    } else {
      console.warn(`      (agent flag defaults not checked: ${lookup.missing})`);
    }
    for (const path of writable) {
      const mount = covering(path);
      expect(mount, `${path} lies in a mounted host directory`).to.not.equal(undefined);
      expect(mount?.readOnly, `${path}: its mount is writable`).to.equal(false);
    }
  });

  it('passes only flags that our commands define (parsed from their --help)', async function () {
    this.timeout(60_000);
    const problems: string[] = [];
    let checked = 0;
    const missing: string[] = [];
    for (const u of [...fleet.values(), ...loadUnits(SYSTEMD_DIR)]) {
      const [program, subcommand, ...args] = containerCommand(unitContainer(u));
      if (program === undefined || OUR_PROGRAMS[program] === undefined) continue;
      const lookup = await ourCliHelp(program, subcommand ?? '');
      if ('missing' in lookup) {
        missing.push(`${program}: ${lookup.missing}`);
        continue;
      }
      checked++;
      problems.push(...checkCliArgs(args, lookup.help).map((p) => `${u.name}: ${p}`));
    }
    // Skipped only while no command is built yet (npm run build makes them).
    if (checked === 0 && missing.length > 0) {
      console.warn(`      (skipped: ${missing.join('; ')})`);
      this.skip();
    }
    expect(problems).to.deep.equal([]);
    expect(missing, 'every command in the units is built').to.deep.equal([]);
  });

  it('uses only docker run flags, with their arity, that the docker CLI lists in `docker run --help`', async function () {
    const docker = findCommand(DOCKER);
    if (docker === undefined) this.skip();
    const { stdout } = await run(DOCKER, ['run', '--help'], { timeout: 30_000 });
    const known = parseDockerRunHelp(stdout);
    expect(known.size, 'parsed docker run --help').to.be.greaterThan(50);
    for (const [flag, takesValue] of DOCKER_RUN_FLAGS) expect(known.get(flag), `docker run ${flag}`).to.equal(takesValue);
    // unitContainer() refuses any flag outside DOCKER_RUN_FLAGS, so parsing every unit covers them all.
    for (const u of [...fleet.values(), ...loadUnits(SYSTEMD_DIR), ...loadUnits(EXAMPLES_DIR)]) unitContainer(u);
  });
});

describe('plain systemd units (fleet/systemd)', () => {
  const systemd = loadUnits(SYSTEMD_DIR);

  it('has the same three units, without [X-Fleet] and with an [Install] section', () => {
    expect(systemd.map((u) => u.name)).to.deep.equal([...FLEET_UNITS].sort());
    for (const u of systemd) {
      expect(u.hasSection('X-Fleet'), u.name).to.equal(false);
      expect(u.words('Install', 'WantedBy'), u.name).to.have.length.greaterThan(0);
    }
    const byName = new Map(systemd.map((u) => [u.name, u]));
    expect(byName.get(DISCOVERY)?.words('Install', 'WantedBy')).to.deep.equal(['multi-user.target']);
    expect(byName.get(REGISTRY)?.words('Install', 'WantedBy')).to.deep.equal(['multi-user.target']);
    // `systemctl enable` on the sidekick = the registry wants it: it starts (and restarts) with the registry.
    expect(byName.get(SIDEKICK)?.words('Install', 'WantedBy')).to.deep.equal([REGISTRY]);
    expect(byName.get(SIDEKICK)?.words('Unit', 'BindsTo')).to.deep.equal([REGISTRY]);
  });

  it('runs the same commands as the fleet units (the sidekick announces REGISTRY_ADVERTISE_HOST, the host name by default)', () => {
    for (const u of systemd) {
      const twin = loadUnit(FLEET_DIR, u.name);
      const lines = (x: UnitFile) => execLines(x).map(({ key, command }) => `${key}=${command.line}`);
      const expected = lines(twin).map((l) => l.replaceAll('${COREOS_PRIVATE_IPV4}', '${REGISTRY_ADVERTISE_HOST}'));
      expect(lines(u), u.name).to.deep.equal(expected);
      for (const key of ['Restart', 'RestartSec', 'TimeoutStopSec']) expect(u.get('Service', key), `${u.name} ${key}`).to.equal(twin.get('Service', key));
    }
    const sidekick = systemd.find((u) => u.name === SIDEKICK);
    expect(sidekick?.environment().get('REGISTRY_ADVERTISE_HOST')).to.equal('%H');
  });
});

describe('fleet/examples/hello.service', () => {
  it('pulls its image as ${DOCKER_REPO}busybox, DOCKER_REPO read from /etc/environment', () => {
    const hello = loadUnit(EXAMPLES_DIR, 'hello.service');
    expect(hello.all('Service', 'EnvironmentFile')).to.deep.equal(['-/etc/environment']);
    const pulls = hello.all('Service', 'ExecStartPre').map(parseExecLine).map((c) => dockerSubcommand(c, 'pull'));
    expect(pulls).to.deep.include(['${DOCKER_REPO}busybox']);
    expect(unitContainer(hello).image).to.equal('${DOCKER_REPO}busybox');
    // What systemd runs once the host agent has written DOCKER_REPO=10.0.0.12:5000/ and before it has.
    const pull = hello.all('Service', 'ExecStartPre').map(parseExecLine).find((c) => dockerSubcommand(c, 'pull') !== undefined);
    expect(expandCommand(pull!, { env: { DOCKER_REPO: '10.0.0.12:5000/' } })).to.deep.equal([DOCKER, 'pull', '10.0.0.12:5000/busybox']);
    expect(expandCommand(pull!, { env: {} })).to.deep.equal([DOCKER, 'pull', 'busybox']);
  });
});
