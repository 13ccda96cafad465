// `registry-sidekick run` flags as commander parses them: flags, their environment variables, defaults,
// and the one-line messages that name the flag at fault.
import { expect } from 'chai';
import { CommanderError } from 'commander';
import { DEFAULT_DISCOVERY_PREFIX } from '@private-registry/core';
import { createSidekickProgram } from '../src/sidekick-command.js';
import { detectHostAddress } from '../src/host-address.js';
import { parseSidekickOptions, type SidekickOptions } from '../src/sidekick-options.js';

/** Parses `run ARGS` with exactly `env` as the environment (commander reads process.env itself). */
async function parseRun(args: string[], env: Record<string, string> = {}): Promise<SidekickOptions> {
  const saved = process.env;
  process.env = { ...env };
  let parsed: SidekickOptions | undefined;
  try {
    const program = createSidekickProgram((options) => {
      parsed = options;
    });
    for (const command of [program, ...program.commands]) command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    await program.parseAsync(['run', ...args], { from: 'user' });
  } finally {
    process.env = saved;
  }
  if (parsed === undefined) throw new Error('the run action was not called');
  return parsed;
}

async function parseError(args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    await parseRun(args, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`run ${args.join(' ')} was accepted`);
}

const MINIMAL = ['--registry-url', 'http://127.0.0.1:5000', '--advertise', '10.0.0.5:5000'];

describe('sidekick options', () => {
  it('fills in the defaults: prefix, a 10 s TTL, probing every TTL/3 with a 2 s timeout, id = advertised host:port', async () => {
    const options = await parseRun(MINIMAL);
    expect(options).to.deep.include({
      registryUrl: 'http://127.0.0.1:5000',
      registryInsecure: false,
      advertise: { host: '10.0.0.5', port: 5000 },
      scheme: 'http',
      id: '10.0.0.5:5000',
      prefix: DEFAULT_DISCOVERY_PREFIX,
      key: `${DEFAULT_DISCOVERY_PREFIX}10.0.0.5:5000`,
      ttlSeconds: 10,
      intervalMs: 3333,
      probeTimeoutMs: 2000,
      unhealthyAfter: 2,
      healthyAfter: 10,
      labels: {},
      logLevel: 'info',
    });
    expect(options.zone).to.equal(undefined);
    expect(options.etcd.endpoints).to.deep.equal(['http://127.0.0.1:2379']);
  });

  it('takes every setting from flags', async () => {
    const options = await parseRun([
      '--registry-url', 'https://registry.internal:5443', '--registry-insecure',
      '--advertise', 'registry.example.com:443', '--scheme', 'https', '--id', 'reg-a', '--prefix', '/discovery/registries',
      '--ttl', '30', '--interval', '5s', '--probe-timeout', '1500ms', '--unhealthy-after', '3', '--healthy-after', '5',
      '--zone', 'eu-west-1a', '--label', 'tier=hot', '--label', 'team=infra', '--log-level', 'debug',
      '--etcd', 'http://10.0.0.1:2379,http://10.0.0.2:2379',
    ]);
    expect(options).to.deep.include({
      registryUrl: 'https://registry.internal:5443',
      registryInsecure: true,
      advertise: { host: 'registry.example.com', port: 443 },
      scheme: 'https',
      id: 'reg-a',
      prefix: '/discovery/registries/',
      key: '/discovery/registries/reg-a',
      ttlSeconds: 30,
      intervalMs: 5000,
      probeTimeoutMs: 1500,
      unhealthyAfter: 3,
      healthyAfter: 5,
      zone: 'eu-west-1a',
      labels: { tier: 'hot', team: 'infra' },
      logLevel: 'debug',
    });
    expect(options.etcd.endpoints).to.deep.equal(['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
  });

  it('takes every setting from its environment variable when the flag is absent', async () => {
    const options = await parseRun([], {
      REGISTRY_URL: 'https://127.0.0.1:5443',
      SIDEKICK_REGISTRY_INSECURE: 'true',
      SIDEKICK_ADVERTISE: '[fd00::5]:5000',
      SIDEKICK_SCHEME: 'http',
      SIDEKICK_ID: 'from-env',
      DISCOVERY_PREFIX: '/env/prefix/',
      SIDEKICK_TTL: '6',
      SIDEKICK_INTERVAL: '1.5',
      SIDEKICK_PROBE_TIMEOUT: '0.5',
      SIDEKICK_UNHEALTHY_AFTER: '1',
      SIDEKICK_HEALTHY_AFTER: '2',
      SIDEKICK_ZONE: 'z1',
      SIDEKICK_LABELS: 'a=1,b=two',
      SIDEKICK_LOG_LEVEL: 'warning',
      ETCD_ENDPOINTS: 'http://127.0.0.1:23790',
    });
    expect(options).to.deep.include({
      registryUrl: 'https://127.0.0.1:5443',
      registryInsecure: true,
      advertise: { host: 'fd00::5', port: 5000 },
      scheme: 'http',
      key: '/env/prefix/from-env',
      ttlSeconds: 6,
      intervalMs: 1500,
      probeTimeoutMs: 500,
      unhealthyAfter: 1,
      healthyAfter: 2,
      zone: 'z1',
      labels: { a: '1', b: 'two' },
      logLevel: 'warn',
    });
    expect(options.etcd.endpoints).to.deep.equal(['http://127.0.0.1:23790']);
  });

  it('prefers a flag over its environment variable', async () => {
    const options = await parseRun([...MINIMAL, '--ttl', '4'], { SIDEKICK_TTL: '20', SIDEKICK_ADVERTISE: '10.9.9.9:1' });
    expect(options.ttlSeconds).to.equal(4);
    expect(options.advertise).to.deep.equal({ host: '10.0.0.5', port: 5000 });
  });

  it('keeps IPv6 brackets in the default id but not in the host', async () => {
    const options = await parseRun(['--registry-url', 'http://[::1]:5000', '--advertise', '[2001:db8::7]:5000']);
    expect(options.advertise).to.deep.equal({ host: '2001:db8::7', port: 5000 });
    expect(options.id).to.equal('[2001:db8::7]:5000');
    expect(options.registryUrl).to.equal('http://[::1]:5000');
  });

  it('shortens the default probe timeout to the interval when the TTL is short', async () => {
    const options = await parseRun([...MINIMAL, '--ttl', '2']);
    expect(options.intervalMs).to.equal(667);
    expect(options.probeTimeoutMs).to.equal(667);
  });

  const refusals: [string, string[], Record<string, string>, RegExp][] = [
    ['a missing --registry-url', ['--advertise', '10.0.0.5:5000'], {}, /--registry-url \(or REGISTRY_URL\) is required/],
    ['a missing --advertise', ['--registry-url', 'http://127.0.0.1:5000'], {}, /--advertise \(or SIDEKICK_ADVERTISE\) is required/],
    ['an --advertise without a port', ['--registry-url', 'http://127.0.0.1:5000', '--advertise', 'registry.local'], {}, /--advertise "registry.local" is not HOST:PORT/],
    ['an unbracketed IPv6 --advertise', ['--registry-url', 'http://127.0.0.1:5000', '--advertise', 'fd00::5:5000'], {}, /--advertise "fd00::5:5000": write an IPv6 address in brackets/],
    ['an --advertise port out of range', ['--registry-url', 'http://127.0.0.1:5000', '--advertise', 'host:70000'], {}, /--advertise "host:70000" has no port between 1 and 65535/],
    ['an --advertise of a listen-all address', ['--registry-url', 'http://127.0.0.1:5000', '--advertise', '0.0.0.0:5000'], {}, /--advertise "0.0.0.0:5000": 0.0.0.0 is a listen address/],
    ['an --advertise host with a slash', ['--registry-url', 'http://127.0.0.1:5000', '--advertise', 'a/b:5000'], {}, /--advertise "a\/b:5000": "a\/b" is not a host name/],
    ['a --ttl that is not a number', [...MINIMAL, '--ttl', 'ten'], {}, /--ttl "ten" must be a whole number of seconds from 2 to 3600/],
    ['a fractional --ttl', [...MINIMAL, '--ttl', '2.5'], {}, /--ttl "2.5"/],
    ['a --ttl of 1', [...MINIMAL, '--ttl', '1'], {}, /--ttl "1"/],
    ['a bad SIDEKICK_TTL', MINIMAL, { SIDEKICK_TTL: '-3' }, /--ttl "-3"/],
    ['a --registry-url that is not a URL', ['--registry-url', 'registry:5000', '--advertise', '10.0.0.5:5000'], {}, /--registry-url "registry:5000" must be http:\/\/ or https:\/\//],
    ['a --registry-url of another scheme', ['--registry-url', 'ftp://127.0.0.1:5000', '--advertise', '10.0.0.5:5000'], {}, /--registry-url "ftp:\/\/127.0.0.1:5000" must be http/],
    ['a --registry-url with a path', ['--registry-url', 'http://127.0.0.1:5000/v2/', '--advertise', '10.0.0.5:5000'], {}, /--registry-url .* without a path/],
    ['a --registry-url with credentials', ['--registry-url', 'http://u:p@127.0.0.1:5000', '--advertise', '10.0.0.5:5000'], {}, /--registry-url must not carry credentials/],
    ['an --interval as long as the TTL', [...MINIMAL, '--ttl', '3', '--interval', '3'], {}, /--interval 3000ms must be shorter than --ttl 3s/],
    ['a --probe-timeout that would delay the keepalive past the TTL', [...MINIMAL, '--ttl', '3', '--probe-timeout', '2.5'], {}, /--probe-timeout 2500ms plus --interval 1000ms must stay under --ttl 3s/],
    ['a --probe-timeout that is not a duration', [...MINIMAL, '--probe-timeout', 'soon'], {}, /--probe-timeout "soon" is not a duration/],
    ['an --unhealthy-after of 0', [...MINIMAL, '--unhealthy-after', '0'], {}, /--unhealthy-after "0" must be a whole number from 1 to 100/],
    ['a --healthy-after that is not a count', [...MINIMAL, '--healthy-after', 'many'], {}, /--healthy-after "many" must be a whole number from 1 to 100/],
    ['a --label without a value', [...MINIMAL, '--label', 'tier'], {}, /--label "tier" is not KEY=VALUE/],
    ['a --scheme other than http or https', [...MINIMAL, '--scheme', 'ftp'], {}, /--scheme <scheme>' argument 'ftp' is invalid/],
    ['an --id with a slash', [...MINIMAL, '--id', 'a/b'], {}, /--id "a\/b" may hold only/],
    ['a relative --prefix', [...MINIMAL, '--prefix', 'services/'], {}, /--prefix "services\/" must start with "\/"/],
    ['a --registry-ca for an http registry', [...MINIMAL, '--registry-ca', '/etc/ssl/ca.pem'], {}, /--registry-ca is for an https --registry-url/],
    ['a SIDEKICK_REGISTRY_INSECURE that is not a boolean', MINIMAL, { SIDEKICK_REGISTRY_INSECURE: 'maybe' }, /SIDEKICK_REGISTRY_INSECURE="maybe" is not true or false/],
    ['an unknown --log-level', [...MINIMAL, '--log-level', 'loud'], {}, /--log-level "loud"/],
    ['an --etcd endpoint without a port', [...MINIMAL, '--etcd', 'http://etcd'], {}, /--etcd endpoint "http:\/\/etcd"/],
  ];
  for (const [title, args, env, message] of refusals) {
    it(`refuses ${title} with a message naming the flag`, async () => {
      const text = await parseError(args, env);
      expect(text).to.match(message);
      expect(text).to.not.contain('\n');
    });
  }

  it("fills an empty host (a unit's unset COREOS_PRIVATE_IPV4) with this host's address", () => {
    const options = parseSidekickOptions({ registryUrl: 'http://:5000', advertise: ':5000' }, {}, () => '10.7.0.3');
    expect(options).to.deep.include({ registryUrl: 'http://10.7.0.3:5000', advertise: { host: '10.7.0.3', port: 5000 }, id: '10.7.0.3:5000' });
  });

  it('names COREOS_PRIVATE_IPV4 when the host is empty and this host has no address to use', () => {
    expect(() => parseSidekickOptions({ registryUrl: 'http://:5000', advertise: ':5000' }, {}, () => undefined)).to.throw(
      /--registry-url "http:\/\/:5000" has no host, and this host has no IPv4 address to use: set COREOS_PRIVATE_IPV4/,
    );
  });

  it('finds the address of the default route\'s interface, else the first non-loopback IPv4 address', () => {
    const info = (address: string, internal = false) => ({ address, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal, cidr: null });
    const interfaces = { lo: [info('127.0.0.1', true)], eth0: [info('10.0.0.9')], eth1: [info('192.168.7.2')] };
    const routes = 'Iface\tDestination\tGateway\tFlags\neth0\t0000000A\t00000000\t0001\neth1\t00000000\t0107A8C0\t0003\n';
    expect(detectHostAddress({ routes, interfaces })).to.equal('192.168.7.2');
    expect(detectHostAddress({ interfaces })).to.equal('10.0.0.9');
    expect(detectHostAddress({ interfaces: { lo: [info('127.0.0.1', true)] } })).to.equal(undefined);
    // This machine: whatever it finds is a usable, non-loopback IPv4 address.
    const here = detectHostAddress();
    if (here !== undefined) expect(here).to.match(/^\d+\.\d+\.\d+\.\d+$/).and.not.match(/^127\./);
  });

  it('reports a usage error as a CommanderError, which the CLI turns into exit code 2', async () => {
    try {
      await parseRun([...MINIMAL, '--frobnicate']);
      expect.fail('an unknown flag was accepted');
    } catch (err) {
      expect(err).to.be.instanceOf(CommanderError);
      expect((err as CommanderError).exitCode).to.equal(1);
    }
  });
});
